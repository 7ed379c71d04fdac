import Engine
import Foundation

/// Integrity digests inside safetensors files.
///
/// The digest is the SHA-256 of the whole file as written, with the digest's own 64 hex characters replaced by 64 ASCII
/// `0`s, stored as the metadata value `__metadata__["sha256"]`. Any changed byte (header, padding, tensor data), a
/// truncation or an appended tail changes it. Other tools read such files as ordinary safetensors (the digest is just
/// a metadata string); `python3 -c` with `hashlib` re-computes it the same way (Tests/NNTests/SafeTensorsDigestTests).
extension SafeTensors {
    /// Metadata key of the digest.
    public static let digestKey = "sha256"
    static let digestPlaceholder = String(repeating: "0", count: 64)

    /// `encode` plus the SHA-256 digest under `digestKey` (replacing any `digestKey` in `metadata`).
    public static func encodeWithDigest(_ tensors: [String: Tensor], integerNames: Set<String> = [],
                                        metadata: [String: String] = [:]) throws -> Data {
        var meta = metadata
        meta[digestKey] = digestPlaceholder
        var data = try encode(tensors, integerNames: integerNames, metadata: meta)
        guard let range = digestRange(data, hex: digestPlaceholder) else {
            throw FormatError(file: "<memory>", problem: "cannot place the digest in the header")
        }
        let hex = SHA256.hex(data)
        data.replaceSubrange(range, with: Array(hex.utf8))
        return data
    }

    /// Whether `data` (a whole safetensors file) matches its stored digest.
    public enum DigestStatus: Equatable, Sendable {
        /// The stored digest equals the computed one.
        case verified
        /// No `digestKey` in the metadata (a file from another tool, or an older SemiSeg checkpoint).
        case absent
        /// Stored and computed digests differ (or the stored value is malformed): the file changed after it was written.
        case mismatch(stored: String, computed: String)
    }

    /// Checks the digest of a whole file's bytes, given its decoded `contents` (see `decode`).
    public static func digestStatus(_ data: Data, contents: Contents) -> DigestStatus {
        guard let stored = contents.metadata[digestKey] else { return .absent }
        guard stored.utf8.count == 64, stored.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
              let range = digestRange(data, hex: stored) else {
            return .mismatch(stored: stored, computed: "?")
        }
        var zeroed = data
        zeroed.replaceSubrange(range, with: Array(digestPlaceholder.utf8))
        let computed = SHA256.hex(zeroed)
        return computed == stored ? .verified : .mismatch(stored: stored, computed: computed)
    }

    /// The byte range of the unique `"sha256":"<hex>"` value inside the JSON header, nil when absent or not unique.
    static func digestRange(_ data: Data, hex: String) -> Range<Data.Index>? {
        guard data.count >= 8 else { return nil }
        var headerLen: UInt64 = 0
        for i in 0..<8 { headerLen |= UInt64(data[data.startIndex + i]) << (8 * UInt64(i)) }
        guard headerLen <= UInt64(data.count - 8) else { return nil }
        let header = data.startIndex + 8 ..< data.startIndex + 8 + Int(headerLen)
        let needle = Data("\"\(digestKey)\":\"\(hex)\"".utf8)
        guard let first = data.range(of: needle, in: header) else { return nil }
        if data.range(of: needle, in: first.upperBound..<header.upperBound) != nil { return nil }
        let start = first.upperBound - 65
        return start..<(start + 64)
    }
}
