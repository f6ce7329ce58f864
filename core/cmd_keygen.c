/*
 * `stackrisk keygen`: writes the Ed25519 key pair commands are signed with.
 * The secret key goes to the processor (`run --signing-key`, or
 * signing.private_key), the public key to every enforcement point (`gate`,
 * `watch`, `approve --public-key`, or signing.public_key). Existing files
 * are never overwritten: replacing a key is a decision, made by deleting it.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "aggregator/sign.h"
#include "core/cli.h"

static void usage(FILE *f) {
  fputs(
      "usage: stackrisk keygen [--dir DIR | --secret FILE --public FILE]\n"
      "\n"
      "Generate the Ed25519 key pair control commands are signed with:\n"
      "DIR/signing.key (secret, mode 0600) and DIR/signing.pub (public).\n"
      "Without options DIR is ~/.config/stackrisk ($XDG_CONFIG_HOME/\n"
      "stackrisk when set), where `stackrisk run` and the enforcers look\n"
      "by default. Existing files are not overwritten.\n"
      "\n"
      "  -d, --dir DIR         write signing.key and signing.pub into DIR\n"
      "      --secret FILE     secret key path\n"
      "      --public FILE     public key path\n"
      "  -h, --help            this text\n",
      f);
}

int sr_cmd_keygen(int argc, char **argv, volatile sig_atomic_t *stop) {
  (void)stop;
  enum { O_SECRET = 256, O_PUBLIC };
  static const struct option opts[] = {
      {"dir", required_argument, NULL, 'd'},
      {"secret", required_argument, NULL, O_SECRET},
      {"public", required_argument, NULL, O_PUBLIC},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *dir = NULL, *secret = NULL, *public = NULL;
  char sk[4096], pk[4096], dbuf[4000], err[1024];
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
    switch (c) {
      case 'd':
        dir = optarg;
        break;
      case O_SECRET:
        secret = optarg;
        break;
      case O_PUBLIC:
        public
        = optarg;
        break;
      case 'h':
        usage(stdout);
        return 0;
      default:
        usage(stderr);
        return 2;
    }
  }
  if (optind < argc || (dir && (secret || public)) || (!secret != !public)) {
    fprintf(stderr,
            "stackrisk keygen: give --dir, or both --secret and "
            "--public, or nothing\n");
    return 2;
  }
  if (!secret) {
    if (!dir) {
      if (sr_sign_default_dir(dbuf, sizeof dbuf)) {
        fprintf(stderr,
                "stackrisk keygen: neither XDG_CONFIG_HOME nor HOME "
                "is set: pass --dir\n");
        return 2;
      }
      dir = dbuf;
    }
    if (sr_sign_make_dir(dir, err, sizeof err)) {
      fprintf(stderr, "stackrisk keygen: %s\n", err);
      return 1;
    }
    snprintf(sk, sizeof sk, "%s/signing.key", dir);
    snprintf(pk, sizeof pk, "%s/signing.pub", dir);
    secret = sk;
    public = pk;
  }
  if (sr_sign_keygen(secret, public, err, sizeof err)) {
    fprintf(stderr, "stackrisk keygen: %s\n", err);
    return 1;
  }
  printf("secret key: %s\npublic key: %s\n", secret, public);
  return 0;
}
