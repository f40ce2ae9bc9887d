/* clmd's heap given back to the system (see heap.h). */
#include <malloc.h>

#include "clm/common.h"
#include "clm/heap.h"

static uv_timer_t	heap_timer;
static bool		heap_on;

static void
heap_trim_cb(uv_timer_t *t)
{
	malloc_trim(0);
}

void
heap_start(uv_loop_t *loop)
{
	/* Fixed, so glibc does not raise it after the first big free. */
	mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_MIN);
	uv_timer_init(loop, &heap_timer);
	uv_unref((uv_handle_t *)&heap_timer);
	heap_on = true;
}

void
heap_stop(void)
{
	if (!heap_on)
		return;
	heap_on = false;
	uv_close((uv_handle_t *)&heap_timer, NULL);
}

void
heap_used(void)
{
	/* Once a second at most, however many requests come. */
	if (heap_on && !uv_is_active((uv_handle_t *)&heap_timer))
		uv_timer_start(&heap_timer, heap_trim_cb, HEAP_TRIM_MS, 0);
}
