/// Keccak-256 as Ethereum uses it: the original Keccak submission with multi-rate padding
/// `0x01 … 0x80`, not NIST SHA3-256 (padding `0x06 … 0x80`), so the two disagree on every
/// input. Addresses, EIP-55 checksums and EIP-191 message digests are all Keccak-256.
///
/// Streaming: `update` any number of times, then `finalize`. The permutation has no
/// branches or table lookups on the data, so hashing secret material is constant-time.
public struct Keccak256: Sendable {
    /// Bytes absorbed per permutation: 1600-bit state minus the 512-bit capacity (2 × 256).
    public static let rateBytes = 136
    /// Output length of Keccak-256.
    public static let digestBytes = 32

    private var state = [UInt64](repeating: 0, count: 25)
    /// Input not yet absorbed; always shorter than `rateBytes` between calls.
    private var pending: [UInt8] = []

    /// A fresh hasher with the all-zero state.
    public init() {
        pending.reserveCapacity(Self.rateBytes)
    }

    /// Hashes `bytes` in one call.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = Keccak256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Absorbs more input; blocks are permuted as soon as they are full.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            pending.append(byte)
            if pending.count == Self.rateBytes {
                absorbPendingBlock()
            }
        }
    }

    /// Pads, absorbs the last block and squeezes 32 bytes. Works on a copy, so the hasher is
    /// unchanged and may take more input afterwards (as swift-crypto's hashers do).
    public func finalize() -> [UInt8] {
        var final = self
        // Keccak pad10*1 with the 0x01 domain byte; when only one byte is free the 0x01 and
        // the final 0x80 share it (0x81).
        final.pending.append(0x01)
        while final.pending.count < Self.rateBytes {
            final.pending.append(0x00)
        }
        final.pending[Self.rateBytes - 1] |= 0x80
        final.absorbPendingBlock()
        var digest: [UInt8] = []
        digest.reserveCapacity(Self.digestBytes)
        for lane in final.state[0..<(Self.digestBytes / 8)] {
            for shift in stride(from: 0, to: 64, by: 8) {
                digest.append(UInt8(truncatingIfNeeded: lane >> UInt64(shift)))
            }
        }
        return digest
    }

    /// XORs one full block into the state (lanes are little-endian) and permutes.
    private mutating func absorbPendingBlock() {
        precondition(pending.count == Self.rateBytes, "Keccak absorbs whole blocks only")
        for laneIndex in 0..<(Self.rateBytes / 8) {
            var lane: UInt64 = 0
            for byteIndex in 0..<8 {
                lane |= UInt64(pending[laneIndex * 8 + byteIndex]) << UInt64(8 * byteIndex)
            }
            state[laneIndex] ^= lane
        }
        pending.removeAll(keepingCapacity: true)
        Self.permute(&state)
    }

    /// Keccak-f[1600]: 24 rounds of θ, ρ, π, χ, ι over lanes indexed `x + 5y`.
    private static func permute(_ a: inout [UInt64]) {
        var b = [UInt64](repeating: 0, count: 25)
        var c = [UInt64](repeating: 0, count: 5)
        for roundConstant in roundConstants {
            // θ: mix each column's parity into its neighbours.
            for x in 0..<5 {
                c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20]
            }
            for x in 0..<5 {
                let d = c[(x + 4) % 5] ^ rotateLeft(c[(x + 1) % 5], by: 1)
                for y in stride(from: 0, to: 25, by: 5) {
                    a[x + y] ^= d
                }
            }
            // ρ and π: rotate each lane and move (x, y) to (y, 2x + 3y).
            for x in 0..<5 {
                for y in 0..<5 {
                    b[y + 5 * ((2 * x + 3 * y) % 5)] = rotateLeft(a[x + 5 * y], by: rotationOffsets[x + 5 * y])
                }
            }
            // χ: the only non-linear step.
            for y in stride(from: 0, to: 25, by: 5) {
                for x in 0..<5 {
                    a[x + y] = b[x + y] ^ (~b[(x + 1) % 5 + y] & b[(x + 2) % 5 + y])
                }
            }
            // ι: break the symmetry between rounds.
            a[0] ^= roundConstant
        }
    }

    /// Rotation by a public constant, so the shift amount never depends on data.
    private static func rotateLeft(_ value: UInt64, by amount: Int) -> UInt64 {
        amount == 0 ? value : (value << UInt64(amount)) | (value >> UInt64(64 - amount))
    }

    /// ρ offsets, indexed `x + 5y` (Keccak reference, table 2).
    private static let rotationOffsets: [Int] = [
        0, 1, 62, 28, 27,
        36, 44, 6, 55, 20,
        3, 10, 43, 25, 39,
        41, 45, 15, 21, 8,
        18, 2, 61, 56, 14,
    ]

    /// ι round constants for the 24 rounds of Keccak-f[1600].
    private static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
        0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]
}
