/* A C99 program on libgkdial, built with -std=c99 -pedantic to prove that
   gk_dial.h is plain C: `gk_dial_c_smoke TARGET PHONE CAMPAIGN AGENT` checks
   one dial and prints "<VERDICT> <ERROR> <REASONS>" and, on ALLOW, the
   decision id and the script. Exit 0 ALLOW, 1 BLOCK, 2 error. Run by
   dial_hook_test.cc. Single-threaded. */
#include <gk_dial.h>
#include <stdio.h>

int main(int argc, char** argv) {
  gk_dial_options options;
  gk_dial* dial = NULL;
  const char* message = NULL;
  gk_result* result;
  gk_error error;
  size_t i;
  int code;

  if (argc != 5) {
    fprintf(stderr, "usage: %s TARGET PHONE CAMPAIGN AGENT\n", argv[0]);
    return 2;
  }
  gk_dial_options_init(&options, sizeof options);
  options.target = argv[1];
  options.timeout_ms = 5000;
  error = gk_dial_open(&options, &dial, &message);
  if (error != GK_OK) {
    fprintf(stderr, "gk_dial_open: %s: %s\n", gk_error_name(error), message);
    return 2;
  }
  result = gk_dial_check(dial, argv[2], argv[3], NULL, argv[4]);
  printf("%s %s",
         gk_result_verdict(result) == GK_VERDICT_ALLOW ? "ALLOW" : "BLOCK",
         gk_error_name(gk_result_error(result)));
  for (i = 0; i < gk_result_reason_count(result); ++i) {
    printf("%s%s", i == 0 ? " " : ",", gk_result_reason(result, i));
  }
  printf("\n");
  if (gk_result_verdict(result) == GK_VERDICT_ALLOW) {
    printf("%s\n%s\n", gk_result_decision_id(result), gk_result_script(result));
  }
  code = gk_result_error(result) != GK_OK                ? 2
         : gk_result_verdict(result) == GK_VERDICT_ALLOW ? 0
                                                         : 1;
  gk_result_free(result);
  gk_dial_close(dial);
  return code;
}
