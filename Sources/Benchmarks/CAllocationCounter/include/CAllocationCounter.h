#ifndef C_ALLOCATION_COUNTER_H
#define C_ALLOCATION_COUNTER_H

/// Heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) made
/// by this process since it started, across all threads. Only the benchmark executable links
/// the counting wrappers; nothing in the gateway does.
unsigned long long bg_allocation_count(void);

#endif
