/* Restart policy: the backoff delays and the unstable-run tally. */
#include "clm/backoff.h"
#include "unit.h"

TEST(backoff_delays_double_up_to_the_cap)
{
	ASSERT_EQ_INT(backoff_delay_ms(0, 100, 15000), 100);
	ASSERT_EQ_INT(backoff_delay_ms(1, 100, 15000), 100);
	ASSERT_EQ_INT(backoff_delay_ms(2, 100, 15000), 200);
	ASSERT_EQ_INT(backoff_delay_ms(3, 100, 15000), 400);
	ASSERT_EQ_INT(backoff_delay_ms(8, 100, 15000), 12800);
	ASSERT_EQ_INT(backoff_delay_ms(9, 100, 15000), 15000);
	ASSERT_EQ_INT(backoff_delay_ms(40, 100, 15000), 15000);
	ASSERT_EQ_INT(backoff_delay_ms(1000000, 250, 60000), 60000);
	ASSERT_EQ_INT(backoff_delay_ms(2, 250, 60000), 500);
}

TEST(backoff_stable_run_resets_the_tally)
{
	unsigned	unstable = 5;

	ASSERT_EQ_INT(backoff_judge(&unstable, 1000, 1000, 3),
	    BACKOFF_RESTART);
	ASSERT_EQ_INT(unstable, 0);
}

TEST(backoff_gives_up_after_max_restarts_unstable_runs)
{
	unsigned	unstable = 0;
	int		i;

	/* max_restarts 3: three unstable restarts, then errored. */
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ_INT(backoff_judge(&unstable, 10, 1000, 3),
		    BACKOFF_RESTART);
		ASSERT_EQ_INT(unstable, i);
	}
	ASSERT_EQ_INT(backoff_judge(&unstable, 10, 1000, 3), BACKOFF_GIVE_UP);
	ASSERT_EQ_INT(unstable, 3);
	/* max_restarts 0: the first unstable run is the last. */
	unstable = 0;
	ASSERT_EQ_INT(backoff_judge(&unstable, 999, 1000, 0), BACKOFF_GIVE_UP);
}
