import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes a validated `ZipDirectory` into a private temporary directory with `*at`
/// syscalls that never follow symlinks, then renames it into place.
final class TreeWriter {
    private var file: ZipFile
    private let limits: CodeLimits
    private let rootDescriptor: Int32
    /// Bytes actually written so far, across all entries.
    private var written: UInt64 = 0

    private init(file: ZipFile, limits: CodeLimits, rootDescriptor: Int32) {
        self.file = file
        self.limits = limits
        self.rootDescriptor = rootDescriptor
    }

    deinit {
        close(rootDescriptor)
    }

    static func write(
        _ directory: ZipDirectory, from file: ZipFile, to destination: URL, limits: CodeLimits
    ) throws(CodeError) {
        try write([(directory, file)], to: destination, limits: limits)
    }

    /// Writes several archives into one tree, in order: a later archive's files and symlinks
    /// replace an earlier one's, its directories merge; `limits.maxUnzippedBytes` counts
    /// the bytes of all of them together.
    static func write(
        _ archives: [(directory: ZipDirectory, file: ZipFile)], to destination: URL, limits: CodeLimits
    ) throws(CodeError) {
        guard let first = archives.first else { throw .io("Nothing to write to \(destination.path)") }
        var status = stat()
        guard lstat(destination.path, &status) != 0, errno == ENOENT else {
            throw .io("Destination \(destination.path) already exists")
        }
        let parent = destination.deletingLastPathComponent()
        let staging = parent.appendingPathComponent(
            ".\(destination.lastPathComponent).partial-\(UUID().uuidString)", isDirectory: true)
        guard mkdir(staging.path, 0o700) == 0 else {
            throw .io("Could not create a staging directory in \(parent.path)", errno: errno)
        }
        do throws(CodeError) {
            let descriptor = open(staging.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard descriptor >= 0 else { throw CodeError.io("Could not open \(staging.path)", errno: errno) }
            let writer = TreeWriter(file: first.file, limits: limits, rootDescriptor: descriptor)
            for archive in archives {
                writer.file = archive.file
                for entry in archive.directory.entries {
                    try writer.write(entry)
                }
            }
            guard fchmod(descriptor, 0o755) == 0 else { throw CodeError.io("Could not chmod \(staging.path)", errno: errno) }
            try renameWithoutReplacing(staging, to: destination)
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
    }

    private func write(_ entry: ZipEntry) throws(CodeError) {
        let components = entry.path.components
        if entry.kind == .directory {
            let descriptor = try openDirectory(components[...])
            close(descriptor)
            return
        }
        let parent = try openDirectory(components.dropLast())
        defer { close(parent) }
        let name = components[components.count - 1]
        // Last wins: drop an earlier file or symlink of the same name (never a directory,
        // and unlinkat does not follow symlinks).
        if unlinkat(parent, name, 0) != 0, errno != ENOENT {
            throw .unsafePath("could not replace \(entry.path)")
        }
        switch entry.kind {
        case .symlink:
            let target = try EntryReader.symlinkTarget(entry, from: file)
            guard symlinkat(target, parent, name) == 0 else {
                throw .io("Could not create symlink \(entry.path)", errno: errno)
            }
        case .file:
            try writeFile(entry, named: name, in: parent)
        case .directory:
            break
        }
    }

    private func writeFile(_ entry: ZipEntry, named name: String, in parent: Int32) throws(CodeError) {
        let descriptor = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .io("Could not create \(entry.path)", errno: errno) }
        defer { close(descriptor) }
        // Lambda's limit is exclusive ("must be smaller than"): at most one byte less.
        let limit = UInt64(max(limits.maxUnzippedBytes, 1)) - 1
        let (crc, count) = try EntryReader.stream(entry, from: file) { (chunk: Data) throws(CodeError) in
            // Count before writing, so no byte past the limit reaches the disk.
            guard UInt64(chunk.count) <= limit - written else {
                throw .unzippedTooLarge(limit: limits.maxUnzippedBytes)
            }
            written += UInt64(chunk.count)
            try Self.writeAll(chunk, to: descriptor, path: entry.path)
        }
        try EntryReader.check(entry, crc32: crc, count: count)
        guard fchmod(descriptor, entry.fileMode) == 0 else {
            throw .io("Could not chmod \(entry.path)", errno: errno)
        }
    }

    /// Opens (creating as needed, mode 0755) the directory at `components` below the root,
    /// one component at a time with O_NOFOLLOW, so a symlink anywhere on the way is an error.
    private func openDirectory(_ components: ArraySlice<String>) throws(CodeError) -> Int32 {
        var current = dup(rootDescriptor)
        guard current >= 0 else { throw .io("Could not dup a descriptor", errno: errno) }
        for name in components {
            let created = mkdirat(current, name, 0o755) == 0
            if !created, errno != EEXIST {
                let number = errno
                close(current)
                throw .io("Could not create directory \(name)", errno: number)
            }
            let next = openat(current, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let number = errno
            close(current)
            guard next >= 0 else {
                if number == ENOTDIR || number == ELOOP {
                    throw .unsafePath("\(name) is not a directory")
                }
                throw .io("Could not open directory \(name)", errno: number)
            }
            if created, fchmod(next, 0o755) != 0 {
                let number = errno
                close(next)
                throw .io("Could not chmod directory \(name)", errno: number)
            }
            current = next
        }
        return current
    }

    private static func writeAll(_ chunk: Data, to descriptor: Int32, path: EntryPath) throws(CodeError) {
        var error: CodeError?
        chunk.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                // SAFETY: offset < buffer.count, so the pointer and length stay inside `buffer`.
                let result = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if result < 0 {
                    if errno == EINTR { continue }
                    error = .io("Could not write \(path)", errno: errno)
                    return
                }
                offset += result
            }
        }
        if let error { throw error }
    }

    /// Renames with RENAME_NOREPLACE, so a destination created meanwhile is never replaced.
    /// Glibc's header hides renameat2 from Swift, so it is looked up at run time; where it
    /// is missing, plain rename still refuses a non-empty destination.
    private static func renameWithoutReplacing(_ source: URL, to destination: URL) throws(CodeError) {
        typealias RenameAt2 = @convention(c) (
            Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32
        ) -> Int32
        let renameNoReplace: UInt32 = 1
        let result: Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") {
            // SAFETY: glibc's renameat2 has exactly this C signature (man 2 rename).
            let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
            result = renameat2(AT_FDCWD, source.path, AT_FDCWD, destination.path, renameNoReplace)
        } else {
            result = rename(source.path, destination.path)
        }
        guard result == 0 else {
            throw .io("Could not move the unpacked code to \(destination.path)", errno: errno)
        }
    }
}

/// `write(2)`, named apart from `TreeWriter.write(_:)`.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
