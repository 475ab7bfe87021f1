import Crypto
import Foundation

/// Validates, fingerprints and unpacks Lambda deployment zips, which are untrusted input.
///
/// Zips are read by Lambent's own bounds-checked central-directory parser; ZIPFoundation
/// only inflates. Every failure is a `CodeError` whose message is AWS's where one exists.
///
/// ```swift
/// let digest = CodeArchive.digest(of: uploadBytes)           // CodeSha256, CodeSize
/// try CodeArchive.validate(zipAt: zipURL, limits: CodeLimits())
/// try CodeArchive.extract(zipAt: zipURL, to: codeDirectory, limits: CodeLimits())
/// ```
public enum CodeArchive {
    /// SHA-256 (base64, as Lambda's `CodeSha256`; and hex) and size of the zip bytes.
    ///
    /// Takes any `DataProtocol`: `Data`, `[UInt8]`, or NIO's `ByteBufferView`.
    public static func digest(of zip: some DataProtocol) -> CodeDigest {
        let hash = SHA256.hash(data: zip)
        return CodeDigest(hash, size: zip.count)
    }

    /// The same digest as `digest(of:)`, streamed from a file in 64 KiB chunks.
    public static func digest(ofZipAt url: URL) throws(CodeError) -> CodeDigest {
        let file = try ZipFile(url: url)
        var hasher = SHA256()
        var position: UInt64 = 0
        while position < file.size {
            let length = Int(min(UInt64(EntryReader.chunkSize), file.size - position))
            hasher.update(data: try file.read(at: position, count: length))
            position += UInt64(length)
        }
        return CodeDigest(hasher.finalize(), size: Int(file.size))
    }

    /// Validates without extracting: checks the zipped size, parses the central directory,
    /// checks the entry count, the declared uncompressed total, every path, duplicate and
    /// kind conflicts, and that every symlink resolves inside the tree.
    ///
    /// - Throws: `CodeError` with `.zippedTooLarge`, `.notAZip`, `.tooManyEntries`,
    ///   `.unzippedTooLarge`, `.unsafePath` or `.io`.
    public static func validate(zipAt url: URL, limits: CodeLimits) throws(CodeError) {
        let file = try ZipFile(url: url)
        _ = try ZipDirectory(file: file, limits: limits)
    }

    /// Validates, then extracts into `destination`, which must not exist yet.
    ///
    /// Writes into a temporary sibling directory and renames it into place, so a concurrent
    /// reader never sees a half-unpacked tree and a failure leaves nothing behind. Files get
    /// mode 0644, or 0755 when the zip's Unix attributes have an execute bit (Lambda keeps
    /// it, e.g. for `bootstrap`); directories get 0755. No symlink is ever followed while
    /// writing, and the bytes actually inflated are counted against
    /// `limits.maxUnzippedBytes` whatever the headers claim.
    ///
    /// A later file or symlink entry with the same path as an earlier one replaces it
    /// (last wins); see `validate(zipAt:limits:)` for what is refused.
    ///
    /// - Throws: as `validate(zipAt:limits:)`, plus `.io` if `destination` exists or the
    ///   file system fails.
    public static func extract(zipAt url: URL, to destination: URL, limits: CodeLimits) throws(CodeError) {
        let file = try ZipFile(url: url)
        let directory = try ZipDirectory(file: file, limits: limits)
        try TreeWriter.write(directory, from: file, to: destination, limits: limits)
    }

    /// Extracts several zips, in order, into one new tree at `destination`, as Lambda
    /// extracts a function's layers into /opt: a later zip's files and symlinks replace an
    /// earlier one's, directories merge, and `limits.maxUnzippedBytes` bounds them together.
    /// An entry that would turn a directory of an earlier zip into a file, or write below an
    /// earlier zip's symlink, is refused as `.unsafePath`; nothing is left behind on failure.
    public static func extract(zipsAt urls: [URL], to destination: URL, limits: CodeLimits) throws(CodeError) {
        var archives: [(directory: ZipDirectory, file: ZipFile)] = []
        for url in urls {
            let file = try ZipFile(url: url)
            archives.append((try ZipDirectory(file: file, limits: limits), file))
        }
        try TreeWriter.write(archives, to: destination, limits: limits)
    }
}

extension CodeDigest {
    init(_ hash: SHA256.Digest, size: Int) {
        let bytes = Array(hash)
        let hexDigits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0x0F)])
        }
        self.init(
            sha256Base64: Data(bytes).base64EncodedString(),
            sha256Hex: String(decoding: hex, as: UTF8.self),
            size: size)
    }
}
