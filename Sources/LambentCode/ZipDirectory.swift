/// The parsed central directory of a zip, checked against `CodeLimits`.
///
/// Lambent parses the central directory itself, with every offset and size checked
/// against the file, rather than trusting a library's iterator on hostile input;
/// ZIPFoundation is used only to inflate data.
struct ZipDirectory {
    var entries: [ZipEntry]
    /// Sum of the declared uncompressed sizes.
    var declaredUnzippedBytes: UInt64

    private static let endOfCentralDirectorySignature: UInt32 = 0x0605_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let zip64EndSignature: UInt32 = 0x0606_4B50
    private static let centralHeaderSignature: UInt32 = 0x0201_4B50
    private static let localHeaderSignature: UInt32 = 0x0403_4B50

    /// Parses and checks the central directory and every local header.
    init(file: ZipFile, limits: CodeLimits) throws(CodeError) {
        guard file.size <= UInt64(max(limits.maxZippedBytes, 0)) else {
            throw .zippedTooLarge(limit: limits.maxZippedBytes)
        }
        let end = try Self.readEnd(file)
        guard end.entryCount <= UInt64(max(limits.maxEntries, 0)) else {
            throw .tooManyEntries(limit: limits.maxEntries)
        }
        guard end.directoryOffset <= end.position, end.directorySize <= end.position - end.directoryOffset else {
            throw .notAZip(cause: CodeError.Reason(text: "central directory outside the file"))
        }
        let directory = try file.read(at: end.directoryOffset, count: Int(end.directorySize))

        var entries: [ZipEntry] = []
        entries.reserveCapacity(Int(end.entryCount))
        var table = EntryTable()
        var total: UInt64 = 0
        var cursor = 0
        for _ in 0..<end.entryCount {
            let entry = try Self.readEntry(
                directory, at: &cursor, file: file, dataLimit: end.directoryOffset)
            let target = entry.kind == .symlink ? try EntryReader.symlinkTarget(entry, from: file) : nil
            try table.insert(entry.path, kind: entry.kind, linkTarget: target)
            total += entry.uncompressedSize  // cannot overflow: each term is checked below.
            guard total < UInt64(max(limits.maxUnzippedBytes, 0)) else {
                throw .unzippedTooLarge(limit: limits.maxUnzippedBytes)
            }
            entries.append(entry)
        }
        try table.checkLinksStayInside()
        self.entries = entries
        self.declaredUnzippedBytes = total
    }

    private struct End {
        var position: UInt64
        var entryCount: UInt64
        var directorySize: UInt64
        var directoryOffset: UInt64
    }

    private static func readEnd(_ file: ZipFile) throws(CodeError) -> End {
        let fixed = 22
        guard file.size >= UInt64(fixed) else {
            throw .notAZip(cause: CodeError.Reason(text: "too short for a zip"))
        }
        let tailLength = Int(min(file.size, UInt64(fixed + 0xFFFF)))
        let tailStart = file.size - UInt64(tailLength)
        let tail = try file.read(at: tailStart, count: tailLength)
        var index = tail.count - fixed
        while index >= 0 {
            if tail.le32(index) == endOfCentralDirectorySignature,
               index + fixed + Int(tail.le16(index + 20)) <= tail.count {
                break
            }
            index -= 1
        }
        guard index >= 0 else {
            throw .notAZip(cause: CodeError.Reason(text: "no end of central directory record"))
        }
        let disk = tail.le16(index + 4)
        let directoryDisk = tail.le16(index + 6)
        var end = End(
            position: tailStart + UInt64(index),
            entryCount: UInt64(tail.le16(index + 10)),
            directorySize: UInt64(tail.le32(index + 12)),
            directoryOffset: UInt64(tail.le32(index + 16)))
        let needsZip64 = end.entryCount == 0xFFFF || end.directorySize == 0xFFFF_FFFF
            || end.directoryOffset == 0xFFFF_FFFF
        if needsZip64 {
            try readZip64End(file, into: &end)
        } else {
            guard disk == 0, directoryDisk == 0, tail.le16(index + 8) == tail.le16(index + 10) else {
                throw .notAZip(cause: CodeError.Reason(text: "multi-disk zips are not supported"))
            }
        }
        return end
    }

    private static func readZip64End(_ file: ZipFile, into end: inout End) throws(CodeError) {
        guard end.position >= 20 else { throw .notAZip(cause: CodeError.Reason(text: "missing zip64 locator")) }
        let locator = try file.read(at: end.position - 20, count: 20)
        guard locator.le32(0) == zip64LocatorSignature else {
            throw .notAZip(cause: CodeError.Reason(text: "missing zip64 locator"))
        }
        let recordOffset = locator.le64(8)
        guard recordOffset < end.position - 20 else {
            throw .notAZip(cause: CodeError.Reason(text: "zip64 record outside the file"))
        }
        let record = try file.read(at: recordOffset, count: 56)
        guard record.le32(0) == zip64EndSignature, record.le32(16) == 0, record.le32(20) == 0,
              record.le64(24) == record.le64(32) else {
            throw .notAZip(cause: CodeError.Reason(text: "bad zip64 end record"))
        }
        end.position = recordOffset
        end.entryCount = record.le64(32)
        end.directorySize = record.le64(40)
        end.directoryOffset = record.le64(48)
    }

    private static func readEntry(
        _ directory: [UInt8], at cursor: inout Int, file: ZipFile, dataLimit: UInt64
    ) throws(CodeError) -> ZipEntry {
        let fixed = 46
        guard directory.count - cursor >= fixed, directory.le32(cursor) == centralHeaderSignature else {
            throw .notAZip(cause: CodeError.Reason(text: "bad central directory header"))
        }
        let header = cursor
        let madeBy = directory.le16(header + 4)
        let flags = directory.le16(header + 8)
        let rawMethod = directory.le16(header + 10)
        let crc32 = directory.le32(header + 16)
        var compressedSize = UInt64(directory.le32(header + 20))
        var uncompressedSize = UInt64(directory.le32(header + 24))
        let nameLength = Int(directory.le16(header + 28))
        let extraLength = Int(directory.le16(header + 30))
        let commentLength = Int(directory.le16(header + 32))
        let externalAttributes = directory.le32(header + 38)
        var localOffset = UInt64(directory.le32(header + 42))
        guard directory.count - cursor - fixed >= nameLength + extraLength + commentLength else {
            throw .notAZip(cause: CodeError.Reason(text: "central directory header runs past its end"))
        }
        let name = Array(directory[(header + fixed)..<(header + fixed + nameLength)])
        let extra = Array(directory[(header + fixed + nameLength)..<(header + fixed + nameLength + extraLength)])
        cursor = header + fixed + nameLength + extraLength + commentLength

        try readZip64Extra(
            extra, uncompressedSize: &uncompressedSize, compressedSize: &compressedSize,
            localOffset: &localOffset)
        guard flags & 0x0001 == 0 else { throw .notAZip(cause: CodeError.Reason(text: "encrypted entry")) }
        guard let method = ZipEntry.Method(rawValue: rawMethod) else {
            throw .notAZip(cause: CodeError.Reason(text: "unsupported compression method \(rawMethod)"))
        }

        let path = try EntryPath(entryName: name)
        let host = madeBy >> 8
        // 3 is Unix, 19 is OS X: their high 16 attribute bits are a st_mode.
        let unixMode: UInt32? = (host == 3 || host == 19) ? externalAttributes >> 16 : nil
        let kind: ZipEntry.Kind
        if unixMode.map({ $0 & 0o170000 == 0o120000 }) == true {
            kind = .symlink
        } else if name.last == UInt8(ascii: "/") || unixMode.map({ $0 & 0o170000 == 0o040000 }) == true {
            kind = .directory
        } else {
            kind = .file
        }
        if kind != .directory, path.components.isEmpty {
            throw .unsafePath("file entry with an empty path")
        }

        // The local header must agree on the name: a mismatch is how one tool can be shown
        // a different file than another.
        let local = try file.read(at: localOffset, count: 30)
        guard local.le32(0) == localHeaderSignature else {
            throw .notAZip(cause: CodeError.Reason(text: "bad local header"))
        }
        let localNameLength = UInt64(local.le16(26))
        let localExtraLength = UInt64(local.le16(28))
        guard try file.read(at: localOffset + 30, count: Int(localNameLength)) == name else {
            throw .notAZip(cause: CodeError.Reason(text: "local and central names differ"))
        }
        let dataOffset = localOffset + 30 + localNameLength + localExtraLength
        guard dataOffset <= dataLimit, compressedSize <= dataLimit - dataOffset else {
            throw .notAZip(cause: CodeError.Reason(text: "entry data outside the file"))
        }
        // Compressed size is bounded by the file; bound the uncompressed one so sums cannot overflow.
        guard uncompressedSize <= UInt64(Int64.max) / 2 else {
            throw .notAZip(cause: CodeError.Reason(text: "absurd uncompressed size"))
        }
        return ZipEntry(
            path: path, kind: kind, method: method, crc32: crc32, compressedSize: compressedSize,
            uncompressedSize: uncompressedSize, dataOffset: dataOffset, unixMode: unixMode)
    }

    private static func readZip64Extra(
        _ extra: [UInt8], uncompressedSize: inout UInt64, compressedSize: inout UInt64,
        localOffset: inout UInt64
    ) throws(CodeError) {
        var index = 0
        while extra.count - index >= 4 {
            let id = extra.le16(index)
            let length = Int(extra.le16(index + 2))
            let body = index + 4
            guard extra.count - body >= length else {
                throw .notAZip(cause: CodeError.Reason(text: "extra field runs past its end"))
            }
            if id == 0x0001 {
                var field = body
                if uncompressedSize == 0xFFFF_FFFF {
                    guard body + length - field >= 8 else { throw .notAZip(cause: CodeError.Reason(text: "short zip64 field")) }
                    uncompressedSize = extra.le64(field)
                    field += 8
                }
                if compressedSize == 0xFFFF_FFFF {
                    guard body + length - field >= 8 else { throw .notAZip(cause: CodeError.Reason(text: "short zip64 field")) }
                    compressedSize = extra.le64(field)
                    field += 8
                }
                if localOffset == 0xFFFF_FFFF {
                    guard body + length - field >= 8 else { throw .notAZip(cause: CodeError.Reason(text: "short zip64 field")) }
                    localOffset = extra.le64(field)
                    field += 8
                }
            }
            index = body + length
        }
    }
}
