// Counts heap allocations for the micro-benchmarks' "allocations per operation" column.
//
// Why this way: glibc removed its malloc hooks (2.34) and mallinfo2 reports bytes in use, not
// calls, so an allocation freed within the operation would not show. Defining malloc & co. in
// the executable interposes glibc's for the whole process (the Swift runtime included, since
// the executable's symbols come first in dynamic lookup); each wrapper bumps one relaxed
// atomic counter and forwards to glibc's own entry points. The cost, a few nanoseconds per
// allocation, is paid by the baselines in the same run too.
#include "CAllocationCounter.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

// __GLIBC__ comes from the libc headers above, hence the test after them.
#if defined(__GLIBC__)

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

static _Atomic unsigned long long allocations;

// `used, retain`: nothing in the executable calls these, so without them the linker's dead
// stripping (--gc-sections) would drop them and glibc's would stay in place.
#define INTERPOSED __attribute__((used, retain, visibility("default")))

static inline void count(void) { atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); }

unsigned long long bg_allocation_count(void) { return atomic_load_explicit(&allocations, memory_order_relaxed); }

INTERPOSED void *malloc(size_t size) {
    count();
    return __libc_malloc(size);
}

INTERPOSED void *calloc(size_t count_, size_t size) {
    count();
    return __libc_calloc(count_, size);
}

INTERPOSED void *realloc(void *pointer, size_t size) {
    count();
    return __libc_realloc(pointer, size);
}

INTERPOSED void *memalign(size_t alignment, size_t size) {
    count();
    return __libc_memalign(alignment, size);
}

INTERPOSED void *aligned_alloc(size_t alignment, size_t size) {
    count();
    return __libc_memalign(alignment, size);
}

INTERPOSED int posix_memalign(void **result, size_t alignment, size_t size) {
    count();
    // posix_memalign's contract: alignment a power of two multiple of sizeof(void *).
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}

#else
// Elsewhere (macOS) nothing is interposed: 0 means "not measured".
unsigned long long bg_allocation_count(void) { return 0; }
#endif
