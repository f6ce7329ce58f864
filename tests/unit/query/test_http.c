/*
 * Tests of query/http.c's pieces a user configures: the listen address
 * (localhost unless another interface is named), the token file, the
 * token comparison, and the error when the port is taken. The endpoints
 * themselves are tested over real sockets in tests/integration/test_query.c.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "query/http.h"

static char err[512];

static const char *addr_of(const char *listen, int *port) {
  static char text[64];
  struct sockaddr_storage ss;
  if (sr_http_parse_listen(listen, &ss, err, sizeof err)) return NULL;
  if (ss.ss_family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    *port = ntohs(a->sin_port);
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    *port = ntohs(a->sin6_port);
  }
  return text;
}

START_TEST(listen_defaults_to_localhost) {
  int port;
  ck_assert_str_eq(addr_of("8080", &port), "127.0.0.1");
  ck_assert_int_eq(port, 8080);
  ck_assert_str_eq(addr_of(":9090", &port), "127.0.0.1");
  ck_assert_int_eq(port, 9090);
  ck_assert_str_eq(addr_of("localhost:1", &port), "127.0.0.1");
  ck_assert_str_eq(addr_of(":0", &port), "127.0.0.1");
  ck_assert_int_eq(port, 0);
}
END_TEST

START_TEST(other_interfaces_only_when_named) {
  int port;
  ck_assert_str_eq(addr_of("0.0.0.0:8080", &port), "0.0.0.0");
  ck_assert_str_eq(addr_of("10.1.2.3:80", &port), "10.1.2.3");
  ck_assert_str_eq(addr_of("[::1]:8080", &port), "::1");
  ck_assert_int_eq(port, 8080);
  ck_assert_str_eq(addr_of("[::]:7", &port), "::");
}
END_TEST

START_TEST(bad_listen_addresses) {
  static const char *const bad[] = {"", "http", "80800", "-1", ":", "1.2.3.4:",
                                    "example.com:80", "[::1]8080", "[::1", "1.2.3.4:8x"};
  int port;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ck_assert_msg(!addr_of(bad[i], &port), "'%s' accepted", bad[i]);
    ck_assert_msg(strstr(err, "listen address") || strstr(err, "empty"), "%s", err);
  }
  addr_of("example.com:80", &port);
  ck_assert_ptr_nonnull(strstr(err, "'example.com' is not an IP address"));
}
END_TEST

START_TEST(token_comparison) {
  const char *t = "abc123";
  ck_assert(sr_http_token_equal("abc123", 6, t, 6));
  ck_assert(!sr_http_token_equal("abc124", 6, t, 6));
  ck_assert(!sr_http_token_equal("abc12", 5, t, 6));
  ck_assert(!sr_http_token_equal("abc1234", 7, t, 6));
  ck_assert(!sr_http_token_equal("", 0, t, 6));
  ck_assert(!sr_http_token_equal("abc123\0", 7, t, 6));
}
END_TEST

static const char *write_file(const char *text) {
  static char path[64];
  snprintf(path, sizeof path, "token-%d.txt", (int)getpid());
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  return path;
}

START_TEST(token_file) {
  char tok[SR_HTTP_TOKEN_MAX + 1];
  ck_assert_int_eq(sr_http_read_token(write_file("s3cr3t\nsecond line\n"), tok,
                                      sizeof tok, err, sizeof err), 0);
  ck_assert_str_eq(tok, "s3cr3t");
  ck_assert_int_eq(sr_http_read_token(write_file("crlf-token\r\n"), tok, sizeof tok,
                                      err, sizeof err), 0);
  ck_assert_str_eq(tok, "crlf-token");
  ck_assert_int_ne(sr_http_read_token(write_file("\n"), tok, sizeof tok, err,
                                      sizeof err), 0);
  ck_assert_ptr_nonnull(strstr(err, "empty"));
  ck_assert_int_ne(sr_http_read_token(write_file("has space-secret"), tok,
                                      sizeof tok, err, sizeof err), 0);
  ck_assert_ptr_nonnull(strstr(err, "printable ASCII"));
  ck_assert_ptr_null(strstr(err, "space-secret")); /* never echoed */
  char big[400];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  ck_assert_int_ne(sr_http_read_token(write_file(big), tok, sizeof tok, err,
                                      sizeof err), 0);
  ck_assert_ptr_nonnull(strstr(err, "longer than 256"));
  unlink(write_file(""));
  ck_assert_int_ne(sr_http_read_token("/nonexistent/token", tok, sizeof tok, err,
                                      sizeof err), 0);
  ck_assert_ptr_nonnull(strstr(err, "/nonexistent/token"));
}
END_TEST

START_TEST(port_in_use_is_a_clear_error) {
  struct sr_http_opts o = {":0", "unused.db", NULL, NULL};
  struct sr_http *a = sr_http_create(&o, err, sizeof err);
  ck_assert_msg(a, "%s", err);
  const char *url = sr_http_url(a);
  ck_assert_int_eq(strncmp(url, "http://127.0.0.1:", 17), 0);
  char listen[32];
  snprintf(listen, sizeof listen, ":%s", strrchr(url, ':') + 1);
  ck_assert_int_ne(atoi(listen + 1), 0);
  o.listen = listen;
  struct sr_http *b = sr_http_create(&o, err, sizeof err);
  ck_assert_ptr_null(b);
  ck_assert_msg(strstr(err, "cannot listen on") && strstr(err, listen), "%s", err);
  sr_http_destroy(a);
}
END_TEST

int main(void) {
  Suite *s = suite_create("http");
  TCase *tc = tcase_create("config");
  tcase_add_test(tc, listen_defaults_to_localhost);
  tcase_add_test(tc, other_interfaces_only_when_named);
  tcase_add_test(tc, bad_listen_addresses);
  tcase_add_test(tc, token_comparison);
  tcase_add_test(tc, token_file);
  tcase_add_test(tc, port_in_use_is_a_clear_error);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0;
}
