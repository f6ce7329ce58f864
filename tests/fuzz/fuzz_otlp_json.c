/*
 * libFuzzer harness for the OTLP/JSON decoder (ingest/otlp_json.c,
 * otlp_json encoding) and the span → event mapping; see fuzz_otlp_body.h
 * for what is checked. Inputs that sniff as protobuf are left to
 * fuzz_otlp_proto.
 */
#include "tests/fuzz/fuzz_otlp_body.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return fz_otlp_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (sr_decode_sniff(data, size) != SR_WIRE_JSON) return -1;
  fz_otlp_one(data, size);
  return 0;
}
