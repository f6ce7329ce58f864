/*
 * libFuzzer harness for the OTLP protobuf decoder (ingest/otlp.c,
 * otlp_proto encoding) and the span → event mapping; see fuzz_otlp_body.h
 * for what is checked. Inputs that sniff as JSON are left to
 * fuzz_otlp_json, so that each campaign spends its time on its own form.
 */
#include "tests/fuzz/fuzz_otlp_body.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return fz_otlp_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (sr_decode_sniff(data, size) == SR_WIRE_JSON) return -1;
  fz_otlp_one(data, size);
  return 0;
}
