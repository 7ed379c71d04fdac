import Foundation
import NN
#if canImport(Glibc)
import Glibc
#endif

extension FolderLock {
    /// The process that holds `folder`'s lock now, without taking or touching the lock (for status listings such as
    /// `compare --collect`): the holder named in the lock file when that process is alive on this host (a holder on
    /// another host is reported as holding it). A released lock (empty file) or a dead holder (SIGKILL) gives nil.
    public static func liveHolder(_ folder: URL) -> Holder? {
        let url = folder.appendingPathComponent(fileName)
        guard let data = try? FileBytes.read(url, maxBytes: 65_536), let h = Holder(fileText: String(decoding: data, as: UTF8.self)) else {
            return nil
        }
        if h.host != hostName { return h }
        return kill(h.pid, 0) == 0 || errno == EPERM ? h : nil
    }
}
