import Foundation

/// Disk-backed /tmp volumes: each is a sparse image file of exactly the environment's
/// EphemeralStorage, formatted ext4 and loop-mounted (`nosuid,nodev`) on the host, with its
/// root mode 1777, for the driver to bind at the sandbox's /tmp.
///
/// A tmpfs /tmp is memory, charged to the environment's memory cgroup: a 128 MB function
/// filling a 512 MB tmpfs is OOM-killed. A file on ext4 is page cache, which the cgroup
/// reclaims by writing it back, so filling the volume ends in ENOSPC and nothing else.
///
/// A volume named `n` is the image `<directory>/n.img` mounted at `<directory>/n`. `mount -o
/// loop` marks the loop device autoclear, so unmounting frees it. Creating one takes a few
/// milliseconds (an `mkfs.ext4` and a `mount`, both spawned and waited for): call it from a
/// thread that may block (see ``EphemeralStoragePool``).
///
/// ```swift
/// let storage = try EphemeralStorage.detect(directory: data + "/tmp").get()
/// storage.removeStale()
/// let path = try storage.create(name: environmentID, sizeMB: 512)   // bwrap --bind path /tmp
/// storage.remove(path)
/// ```
public struct EphemeralStorage: Sendable {
    /// Where images and mount points live (absolute, symlinks resolved).
    public let directory: String
    let mkfsPath: String
    let mountPath: String

    /// The `mkfs.ext4` options: no journal (a /tmp needs no crash consistency), nothing
    /// reserved for root, no room to grow (volumes are never resized), inode tables and
    /// discards left to the kernel (which is what keeps formatting to a few milliseconds).
    static let mkfsOptions = ["-q", "-F", "-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard",
                              "-O", "^has_journal,^resize_inode", "-m", "0"]
    static let toolDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]

    /// Checks that volumes can be made here (root, `mkfs.ext4` and `mount`, loop devices,
    /// ext4) by creating and removing a small one; the failure says what is missing.
    /// Creates `directory` (mode 0700) if needed.
    public static func detect(directory: String) -> Result<EphemeralStorage, SandboxError> {
        func find(_ name: String) -> String? {
            toolDirectories.map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
        }
        guard getuid() == 0 else {
            return .failure(SandboxError(.unavailable, "disk-backed /tmp needs root (to mount loop devices)"))
        }
        guard let mkfs = find("mkfs.ext4") else {
            return .failure(SandboxError(.unavailable, "mkfs.ext4 is not installed: apt-get install e2fsprogs"))
        }
        guard let mount = find("mount") else {
            return .failure(SandboxError(.unavailable, "mount is not installed: apt-get install mount"))
        }
        guard access("/dev/loop-control", F_OK) == 0 else {
            return .failure(SandboxError(.unavailable, "no loop device support (/dev/loop-control is missing: modprobe loop)"))
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            return .failure(SandboxError(.unavailable, "cannot create \(directory): \(error.localizedDescription)"))
        }
        guard let resolved = realpath(directory, nil) else {
            return .failure(SandboxError(.unavailable, "cannot resolve \(directory): \(String(cString: strerror(errno)))"))
        }
        defer { free(resolved) }
        let storage = EphemeralStorage(directory: String(cString: resolved), mkfsPath: mkfs, mountPath: mount)
        do {
            let probe = try storage.create(name: "probe-\(getpid())", sizeMB: 8)
            storage.remove(probe)
        } catch {
            return .failure(SandboxError(.unavailable, "cannot make a loop-mounted ext4 volume: \(error.message)"))
        }
        return .success(storage)
    }

    /// The image size for `sizeMB` MB of files: ext4's inode tables, bitmaps and descriptors
    /// take about 4% (a 512 MB image holds 493 MB), so the image is that much larger and a
    /// function gets about what EphemeralStorage says before ENOSPC.
    public static func imageMB(_ sizeMB: Int) -> Int { sizeMB + (sizeMB + 24) / 25 }

    /// Creates, formats and mounts the volume `name` of `sizeMB` MB; returns its mount point.
    /// Blocks for a few milliseconds. Leaves nothing behind when it fails.
    public func create(name: String, sizeMB: Int) throws(SandboxError) -> String {
        precondition(sizeMB > 0 && !name.isEmpty && !name.contains("/"), "bad volume \(name) of \(sizeMB) MB")
        let path = "\(directory)/\(name)"
        let image = path + ".img"
        let fd = Glibc.open(image, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("cannot create \(image)", errno) }
        let sized = ftruncate(fd, off_t(Self.imageMB(sizeMB)) << 20) == 0 ? 0 : errno
        Syscalls.close(fd)
        do throws(SandboxError) {
            guard sized == 0 else { throw failure("cannot size \(image) to \(sizeMB) MB", sized) }
            try run([mkfsPath] + Self.mkfsOptions + [image], name: name)
            guard mkdir(path, 0o700) == 0 else { throw failure("cannot create \(path)", errno) }
            do throws(SandboxError) {
                try run([mountPath, "-t", "ext4", "-o", "loop,nosuid,nodev", image, path], name: name)
            } catch {
                rmdir(path)
                throw error
            }
            // An empty /tmp, as on Lambda (fsck would recreate lost+found if ever needed).
            rmdir(path + "/lost+found")
            guard chmod(path, 0o1777) == 0 else {
                let code = errno
                remove(path)
                throw failure("cannot make \(path) world-writable", code)
            }
        } catch {
            unlink(image)
            throw error
        }
        return path
    }

    /// Unmounts a volume (detaching it lazily if still busy; the loop device is freed once the
    /// last user is gone) and deletes its image and mount point.
    public func remove(_ path: String) {
        if umount2(path, 0) != 0, errno == EBUSY {
            umount2(path, Self.detach)
        }
        rmdir(path)
        unlink(path + ".img")
    }

    /// Unmounts and deletes whatever a previous run left in the directory (a server that
    /// crashed); returns how many volumes there were. Only empty directories are removed, so
    /// nothing below a mount that would not go is touched.
    @discardableResult
    public func removeStale() -> Int {
        for mountPoint in Self.mountPoints(under: directory).sorted(by: >) {
            umount2(mountPoint, Self.detach)
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var volumes = 0
        for entry in entries {
            let path = "\(directory)/\(entry)"
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: rmdir(path)
            case S_IFREG:
                if entry.hasSuffix(".img") { volumes += 1 }
                unlink(path)
            default: continue
            }
        }
        return volumes
    }

    /// The mount points of this process's namespace at or below `directory`.
    static func mountPoints(under directory: String) -> [String] {
        guard let text = Syscalls.readKernelFile("/proc/self/mountinfo") else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let mountPoint = unescape(fields[4])
            return mountPoint.hasPrefix(directory + "/") ? mountPoint : nil
        }
    }

    /// mountinfo's octal escapes (`\040` for a space) undone.
    static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        var rest = Array(field.utf8)[...]
        while let byte = rest.popFirst() {
            if byte == UInt8(ascii: "\\"), rest.count >= 3,
               let value = UInt8(String(decoding: rest.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                rest = rest.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static let detach = Int32(MNT_DETACH)

    /// Runs a tool to completion; throws with its stderr when it fails.
    private func run(_ argv: [String], name: String) throws(SandboxError) {
        let log = "\(directory)/.\(name).stderr"
        defer { unlink(log) }
        let null = try Syscalls.open("/dev/null", O_RDONLY)
        defer { Syscalls.close(null) }
        let pid = try Syscalls.spawn(argv, environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], inherit: null,
                                     stderrPath: log)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw failure("cannot wait for \(argv[0])", errno) }
        }
        // Exited with status 0 (WIFEXITED and WEXITSTATUS are macros Swift does not import).
        if status & 0x7f == 0 && (status >> 8) & 0xff == 0 { return }
        let said = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        throw SandboxError(.spawnFailed, "\(argv.joined(separator: " ")) failed (status \(status))\(said.isEmpty ? "" : ": \(said)")")
    }

    private func failure(_ what: String, _ code: Int32) -> SandboxError {
        SandboxError(.spawnFailed, "\(what): \(String(cString: strerror(code)))")
    }
}
