import Foundation
import Testing
import NN
@testable import Training
#if canImport(Glibc)
import Glibc
#endif

/// The run-folder lock as an API (the CLI tests cover two real processes and a SIGKILLed holder).
@Suite("Folder lock")
struct FolderLockTests {
    let fm = FileManager.default

    @Test func aSecondHolderIsRefusedNamingTheFirstUntilItReleases() throws {
        let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
        let a = try FolderLock.acquire(dir, command: "train")
        #expect(a.tookOverFrom == nil)
        do {
            _ = try FolderLock.acquire(dir, command: "predict")
            Issue.record("a second lock was granted")
        } catch let e as FolderLock.Busy {
            #expect(e.holder?.pid == getpid() && e.holder?.command == "train")
            #expect(e.description.hasPrefix("\(dir.path): in use by process \(getpid()) (`train` on "), "\(e)")
            #expect(e.description.hasSuffix("wait for it to finish or stop it (kill \(getpid()))"), "\(e)")
        }
        a.release()
        // POSIX read: Foundation's String(contentsOf:) leaks its buffer on an empty file (ASan finding).
        let text = String(decoding: try FileBytes.read(dir.appendingPathComponent(FolderLock.fileName)), as: UTF8.self)
        #expect(text.isEmpty, "a released lock file names no holder: \(text)")
        let b = try FolderLock.acquire(dir, command: "predict")
        #expect(b.tookOverFrom == nil)
        b.release()
    }

    /// A lock file naming a process that is gone (killed while holding it): taken over, and the note names it.
    @Test func aLockOfADeadProcessIsTakenOver() throws {
        let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run(); p.waitUntilExit()
        let dead = p.processIdentifier
        try "pid=\(dead)\nhost=\(FolderLock.hostName)\ncommand=train\nsince=2026-01-01T00:00:00Z\n"
            .write(to: dir.appendingPathComponent(FolderLock.fileName), atomically: false, encoding: .utf8)
        let l = try FolderLock.acquire(dir, command: "train --resume")
        #expect(l.tookOverFrom?.pid == dead && l.tookOverFrom?.command == "train")
        // POSIX read: Foundation's String(contentsOf:) leaks its buffer on an empty file (ASan finding).
        let text = String(decoding: try FileBytes.read(dir.appendingPathComponent(FolderLock.fileName)), as: UTF8.self)
        #expect(text.hasPrefix("pid=\(getpid())\n") && text.contains("command=train --resume\n"), "\(text)")
        l.release()
    }

    @Test func aFolderWhereTheLockCannotBeCreatedSaysSo() throws {
        do {
            _ = try FolderLock.acquire(URL(fileURLWithPath: "/nonexistent/run"), command: "train")
            Issue.record("locked a missing folder")
        } catch let e as TrainingError {
            #expect(e.description.hasPrefix("/nonexistent/run: cannot create the lock file .semiseg.lock ("), "\(e)")
        }
    }
}
