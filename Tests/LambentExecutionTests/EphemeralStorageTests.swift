import Foundation
import Logging
import Testing

@testable import LambentExecution

/// What the volume tests need from the machine.
enum EphemeralStorageHost {
    /// A fresh directory for one test's volumes.
    static func directory() -> String {
        "\(NSTemporaryDirectory())/lambent-tmp-volumes-\(UUID().uuidString)"
    }

    static let unavailable: String? = {
        guard getuid() == 0 else { return "not root" }
        let directory = Self.directory()
        defer { rmdir(directory) }
        switch EphemeralStorage.detect(directory: directory) {
        case .success: return nil
        case .failure(let error): return error.message
        }
    }()

    /// Whether `path` is a mount point of this process's namespace.
    static func isMounted(_ path: String) -> Bool {
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").contains { $0.split(separator: " ").dropFirst(4).first.map(String.init) == path }
    }

    /// Whether a loop device is attached to `image`.
    static func hasLoopDevice(_ image: String) -> Bool {
        let devices = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/block")) ?? []
        return devices.filter { $0.hasPrefix("loop") }.contains { device in
            let backing = (try? String(contentsOfFile: "/sys/block/\(device)/loop/backing_file", encoding: .utf8)) ?? ""
            return backing.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix(image)
        }
    }

    /// Writes 1 MB blocks with write(2) until it fails; the bytes written and the errno.
    static func fill(_ file: String, limit: Int) -> (bytes: Int, errno: Int32) {
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return (0, errno) }
        defer { close(fd) }
        let block = [UInt8](repeating: 7, count: 1 << 20)
        var total = 0
        while total < limit {
            let written = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { return (total, errno) }
            total += written
        }
        return (total, 0)
    }

    /// Waits up to `timeout` for `condition`.
    static func eventually(_ timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}

@Suite("EphemeralStorage", .serialized,
       .enabled(if: getuid() == 0, "needs root to mount loop devices"),
       .enabled(if: EphemeralStorageHost.unavailable == nil,
                "needs mkfs.ext4, loop devices and ext4: \(EphemeralStorageHost.unavailable ?? "")"))
struct EphemeralStorageTests {
    let storage: EphemeralStorage

    init() throws {
        storage = try EphemeralStorage.detect(directory: EphemeralStorageHost.directory()).get()
    }

    func contents() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: storage.directory)) ?? []
    }

    func removeDirectory() {
        storage.removeStale()
        rmdir(storage.directory)
    }

    @Test("a volume is mounted, empty, 1777 and writable up to its size, then ENOSPC; release leaves nothing")
    func volumeLifecycle() async throws {
        defer { removeDirectory() }
        let path = try storage.create(name: "env-1", sizeMB: 32)
        #expect(path == "\(storage.directory)/env-1")
        #expect(EphemeralStorageHost.isMounted(path))
        #expect(EphemeralStorageHost.hasLoopDevice(path + ".img"))
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o1777)
        #expect((try FileManager.default.contentsOfDirectory(atPath: path)).isEmpty)

        let filled = EphemeralStorageHost.fill(path + "/fill", limit: 64 << 20)
        #expect(filled.errno == ENOSPC)
        #expect(filled.bytes <= 32 << 20)
        #expect(filled.bytes >= 28 << 20, "only \(filled.bytes >> 20) MB of 32 were writable")

        storage.remove(path)
        #expect(!EphemeralStorageHost.isMounted(path))
        #expect(await EphemeralStorageHost.eventually { !EphemeralStorageHost.hasLoopDevice(path + ".img") })
        #expect(contents().isEmpty)
    }

    @Test("the image is sparse: a large volume costs the host almost nothing until written")
    func sparseImage() throws {
        defer { removeDirectory() }
        let path = try storage.create(name: "large", sizeMB: 10_240)
        var info = stat()
        #expect(stat(path + ".img", &info) == 0)
        #expect(info.st_size == EphemeralStorage.imageMB(10_240) << 20)
        #expect(Int(info.st_blocks) * 512 < 64 << 20)
        storage.remove(path)
        #expect(contents().isEmpty)
    }

    @Test("removeStale unmounts and deletes what a crashed server left")
    func removeStale() async throws {
        defer { removeDirectory() }
        let left = try storage.create(name: "leftover", sizeMB: 16)
        _ = EphemeralStorageHost.fill(left + "/data", limit: 1 << 20)
        #expect(storage.removeStale() == 1)
        #expect(!EphemeralStorageHost.isMounted(left))
        #expect(await EphemeralStorageHost.eventually { !EphemeralStorageHost.hasLoopDevice(left + ".img") })
        #expect(contents().isEmpty)
    }

    @Test("a busy volume is detached lazily and its loop device freed once the last user is gone")
    func busyVolume() async throws {
        defer { removeDirectory() }
        let path = try storage.create(name: "busy", sizeMB: 16)
        let fd = open(path + "/open", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        #expect(fd >= 0)
        storage.remove(path)
        #expect(!EphemeralStorageHost.isMounted(path))
        close(fd)
        #expect(await EphemeralStorageHost.eventually { !EphemeralStorageHost.hasLoopDevice(path + ".img") })
        #expect(contents().isEmpty)
    }

    @Test("the pool hands out ready volumes, refills, makes other sizes on demand and cleans up at shutdown")
    func pool() async throws {
        defer { removeDirectory() }
        let pool = EphemeralStoragePool(storage: storage, configuration: .init(size: 2, sizeMB: 16),
                                        logger: Logger(label: "test"))
        pool.start()
        #expect(await EphemeralStorageHost.eventually { pool.statistics.ready == 2 })

        let pooled = try pool.prepare(environmentID: "env-a", sizeMB: 16)
        #expect(pooled.hasPrefix("\(storage.directory)/pool-"))
        #expect(EphemeralStorageHost.isMounted(pooled))
        #expect(EphemeralStorageHost.fill(pooled + "/x", limit: 1 << 20).bytes == 1 << 20)
        #expect(await EphemeralStorageHost.eventually { pool.statistics.ready == 2 })

        let large = try pool.prepare(environmentID: "env-b", sizeMB: 32)
        #expect(large == "\(storage.directory)/env-b")
        #expect(EphemeralStorageHost.isMounted(large))
        #expect(pool.statistics == .init(ready: 2, claimed: 1, made: 1, released: 0, failed: 0))

        pool.release(pooled)
        pool.release(large)
        #expect(await EphemeralStorageHost.eventually { pool.statistics.released == 2 })
        #expect(!EphemeralStorageHost.isMounted(pooled))
        #expect(!EphemeralStorageHost.isMounted(large))

        await pool.shutdown()
        #expect(EphemeralStorageHost.mountPoints(under: storage.directory).isEmpty)
        #expect(contents().isEmpty)
        // After shutdown, volumes are still made on demand and released at once.
        let late = try pool.prepare(environmentID: "env-c", sizeMB: 16)
        pool.release(late)
        #expect(contents().isEmpty)
    }
}

extension EphemeralStorageHost {
    static func mountPoints(under directory: String) -> [String] {
        EphemeralStorage.mountPoints(under: directory)
    }
}
