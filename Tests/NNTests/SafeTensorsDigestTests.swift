import Engine
import Foundation
@testable import NN
import Testing

extension NNTests {
    /// SHA-256 and the checkpoint digest, checked against Python's hashlib (python3 standard library).
    @Suite("SafeTensors digest")
    struct SafeTensorsDigestTests {
        /// Runs `python3 -c code` with `input` on stdin; returns stdout without the trailing newline.
        func python(_ code: String, input: Data) throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", "-c", code]
            let i = Pipe(), o = Pipe()
            p.standardInput = i; p.standardOutput = o
            try p.run()
            i.fileHandleForWriting.write(input)
            try i.fileHandleForWriting.close()
            let out = o.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        @Test func sha256MatchesHashlibOnBlockBoundaries() throws {
            #expect(SHA256.hex([UInt8]("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
            var rng = RNG(seed: 5)
            for n in [1, 55, 56, 63, 64, 65, 119, 120, 1000, 70_001] {
                let bytes = (0..<n).map { _ in UInt8(rng.int(below: 256)) }
                let ref = try python("import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())", input: Data(bytes))
                #expect(SHA256.hex(bytes) == ref, "\(n) bytes")
            }
        }

        func sample() throws -> Data {
            try SafeTensors.encodeWithDigest(["w": Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]), "n": Tensor(scalar: 3)],
                                             integerNames: ["n"], metadata: ["state": "{\"epoch\": 2}"])
        }

        /// The definition in SafeTensors+Digest.swift, re-implemented in Python: the file's SHA-256 with the stored hex
        /// replaced by 64 zeros.
        @Test func digestIsTheFileHashWithItsOwnValueZeroedAsPythonComputesIt() throws {
            let data = try sample()
            let c = try SafeTensors.decode(data)
            let stored = try #require(c.metadata[SafeTensors.digestKey])
            #expect(c.metadata["state"] == "{\"epoch\": 2}")
            #expect(SafeTensors.digestStatus(data, contents: c) == .verified)
            let py = try python("""
                import hashlib, json, struct, sys
                raw = sys.stdin.buffer.read()
                n = struct.unpack('<Q', raw[:8])[0]
                stored = json.loads(raw[8:8 + n])['__metadata__']['sha256']
                zeroed = raw.replace(stored.encode(), b'0' * 64, 1)
                print(stored, hashlib.sha256(zeroed).hexdigest())
                """, input: data)
            #expect(py == "\(stored) \(stored)")
        }

        @Test func everyFlippedByteAndATruncationOrTailIsDetected() throws {
            let data = try sample()
            var undetected: [Int] = []
            for i in 0..<data.count {
                var d = data
                d[i] ^= 0x01
                // A flip either breaks the structure (decode throws) or changes the digest.
                if let c = try? SafeTensors.decode(d), SafeTensors.digestStatus(d, contents: c) == .verified { undetected.append(i) }
            }
            #expect(undetected.isEmpty, "flips at bytes \(undetected) went unnoticed")
            var tail = data; tail.append(0)
            if let c = try? SafeTensors.decode(tail) { #expect(SafeTensors.digestStatus(tail, contents: c) != .verified) }
            #expect(throws: SafeTensors.FormatError.self) { _ = try SafeTensors.decode(data.prefix(data.count - 4)) }
        }

        @Test func filesWithoutDigestReportAbsent() throws {
            let plain = try SafeTensors.encode(["w": Tensor([1, 2], shape: [2])])
            #expect(SafeTensors.digestStatus(plain, contents: try SafeTensors.decode(plain)) == .absent)
        }
    }
}
