import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Random 64-bit words for identifiers, from the system CSPRNG in batches.
///
/// Why: on Linux `SystemRandomNumberGenerator.next()` is one `getrandom` system call per
/// 8 bytes, so every UUID cost two calls; in the ledger micro-benchmark those were a third
/// of `Ledger.transfer`'s time. The bytes are the same kernel CSPRNG output, drawn 256 at a
/// time from `/dev/urandom` (one `read`; the most it returns whole without an interrupted,
/// partial read) and each handed out once. Only identifiers use this, never secrets.
enum RandomWords {
    private static let pool = Mutex(Pool())
    #if canImport(Glibc)
        /// Kept open for the process's life: one descriptor, opened on first use.
        private static let urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
    #endif

    /// Two fresh random words (one UUID's worth).
    static func pair() -> (UInt64, UInt64) {
        pool.withLock { pool in (pool.next(), pool.next()) }
    }

    private struct Pool {
        static let capacity = 32
        var words = [UInt64](repeating: 0, count: Pool.capacity)
        var nextIndex = Pool.capacity

        mutating func next() -> UInt64 {
            if nextIndex == Self.capacity { refill() }
            defer { nextIndex += 1 }
            return words[nextIndex]
        }

        private mutating func refill() {
            nextIndex = 0
            #if canImport(Glibc)
                if RandomWords.urandom >= 0 {
                    let filled = words.withUnsafeMutableBytes { bytes in read(RandomWords.urandom, bytes.baseAddress, bytes.count) }
                    if filled == words.count * MemoryLayout<UInt64>.size { return }
                }
            #endif
            var generator = SystemRandomNumberGenerator()
            for index in words.indices { words[index] = generator.next() }
        }
    }
}
