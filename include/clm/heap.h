/*
 * clmd's heap given back to the system. A request of thousands of apps, a
 * list of thousands of workers or a checkpoint of them allocates megabytes
 * for a moment; glibc keeps the freed pages (only the top of the heap is
 * returned), so clmd's RSS would stay at its highest point. Buffers of
 * HEAP_MMAP_MIN bytes or more are mapped and unmapped on their own, and
 * the second after work that allocated much, malloc_trim() returns the
 * free pages in the middle of the heap.
 */
#ifndef CLM_HEAP_H
#define CLM_HEAP_H

#include <uv.h>

#define HEAP_MMAP_MIN	(128 * 1024)
#define HEAP_TRIM_MS	1000

/* The mapping threshold, and a trim on loop (its timer keeps no loop
 * alive) after heap_used(). */
void	heap_start(uv_loop_t *);
void	heap_stop(void);
/* Work that allocated much just ran: trim within HEAP_TRIM_MS. */
void	heap_used(void);

#endif
