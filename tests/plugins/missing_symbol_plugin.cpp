// A library with an unresolved symbol: loading it with immediate binding fails.
extern "C" void sluice_test_symbol_that_does_not_exist();
extern "C" __attribute__((visibility("default"))) void call_missing() {
  sluice_test_symbol_that_does_not_exist();
}
