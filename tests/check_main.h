/* ghostdrop tests: the shared main() of every Check file (one suite per module). */
#ifndef GD_CHECK_MAIN_H
#define GD_CHECK_MAIN_H
#define GD_CHECK_MAIN(suite_fn)                                                                    \
	int main(void)                                                                             \
	{                                                                                          \
		if (gd_init() != GD_OK)                                                            \
			return 1;                                                                  \
		SRunner *sr = srunner_create(suite_fn());                                          \
		srunner_run_all(sr, CK_NORMAL);                                                    \
		int failed = srunner_ntests_failed(sr);                                            \
		srunner_free(sr);                                                                  \
		return failed == 0 ? 0 : 1;                                                        \
	}
#endif
