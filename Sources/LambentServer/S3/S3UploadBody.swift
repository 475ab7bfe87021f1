import Crypto
import Foundation
import Hummingbird
import LambentAuth
import NIOCore
import Synchronization

/// A request body on its way to the object store, checked as it streams: the declared
/// SHA-256 (the last buffer is held back until the hash matches, so the store never receives
/// a complete body that fails), or an `aws-chunked` body decoded and each chunk's signature
/// checked before its bytes go on (the last chunk is held until the final, empty chunk's
/// signature matches). Nothing is buffered whole: at most one buffer, or two chunks.
///
/// A store reading a body that ends early fails the upload, but one that ends before its
/// first byte may be stored empty (SeaweedFS does): ``PrimedUpload`` takes the first checked
/// buffer before the store's request starts, so a body that fails before then never reaches
/// the store at all.
struct S3UploadBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    enum Check: Sendable {
        /// `UNSIGNED-PAYLOAD`.
        case none
        /// A hex SHA-256 (lower case).
        case sha256(String)
        /// `aws-chunked`: signed chunks when a chain is given, and trailing headers after the
        /// last chunk when `trailer` is set.
        case chunked(ChunkSignatureChain?, trailer: Bool)
    }

    /// The first problem found, for the gateway to answer with once the store gives up.
    final class Problem: Sendable {
        private let error = Mutex<S3Error?>(nil)
        var value: S3Error? { error.withLock { $0 } }
        func record(_ failure: S3Error) -> S3Error {
            error.withLock { if $0 == nil { $0 = failure } }
            return failure
        }
    }

    /// The largest chunk an `aws-chunked` body may have (SDKs send 8 KiB to 1 MiB).
    static let maximumChunk = 16 * 1024 * 1024

    let source: RequestBody
    let check: Check
    let failure: Problem

    func makeAsyncIterator() -> Iterator {
        Iterator(source: source.makeAsyncIterator(), check: check, failure: failure)
    }

    struct Iterator: AsyncIteratorProtocol {
        var source: RequestBody.AsyncIterator
        let check: Check
        let failure: Problem
        // sha256
        var hasher = SHA256()
        var pending: ByteBuffer?
        var hashChecked = false
        // aws-chunked
        var chain: ChunkSignatureChain?
        var state = ChunkState.header
        var input = ByteBuffer()
        var chunk = ByteBuffer()
        /// The last verified chunk, held until the next one (or the final empty chunk) verifies:
        /// so a bad final signature fails the upload before its last byte.
        var pendingChunk: ByteBuffer?

        enum ChunkState {
            case header
            case data(remaining: Int, signature: String?)
            case dataEnd(signature: String?)
            case trailers
            case done
        }

        init(source: RequestBody.AsyncIterator, check: Check, failure: Problem) {
            self.source = source
            self.check = check
            self.failure = failure
            if case .chunked(let chain, _) = check { self.chain = chain }
        }

        mutating func next() async throws -> ByteBuffer? {
            switch check {
            case .none:
                return try await source.next()
            case .sha256(let declared):
                return try await nextHashed(declared)
            case .chunked(_, let trailer):
                return try await nextChunk(trailer: trailer)
            }
        }

        private mutating func nextHashed(_ declared: String) async throws -> ByteBuffer? {
            if hashChecked { return nil }
            while let buffer = try await source.next() {
                buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                let previous = pending
                pending = buffer
                if let previous { return previous }
            }
            let last = pending
            pending = nil
            hashChecked = true
            guard Hex.encode(hasher.finalize()) == declared else { throw failure.record(.contentSHA256Mismatch) }
            return last
        }

        private mutating func nextChunk(trailer: Bool) async throws -> ByteBuffer? {
            while true {
                switch state {
                case .done:
                    return nil
                case .header:
                    guard let line = try await readLine() else { throw failure.record(.incompleteBody) }
                    let parts = line.split(separator: ";", maxSplits: 1)
                    guard let sizeText = parts.first, let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16),
                          size >= 0, size <= S3UploadBody.maximumChunk else {
                        throw failure.record(.invalidArgument("Invalid chunk size"))
                    }
                    var signature: String?
                    if parts.count > 1, let range = parts[1].range(of: "chunk-signature=") {
                        signature = String(parts[1][range.upperBound...]).trimmingCharacters(in: .whitespaces)
                    }
                    if chain != nil && signature == nil { throw failure.record(.signatureDoesNotMatch) }
                    if size == 0 {
                        try verifyChunk(signature)
                        state = trailer ? .trailers : .done
                        if !trailer { _ = try? await readLine() }
                        if let last = pendingChunk {
                            pendingChunk = nil
                            return last
                        }
                        continue
                    }
                    chunk = ByteBuffer()
                    chunk.reserveCapacity(size)
                    state = .data(remaining: size, signature: signature)
                case .data(let remaining, let signature):
                    if input.readableBytes == 0 {
                        guard var more = try await source.next() else { throw failure.record(.incompleteBody) }
                        input.writeBuffer(&more)
                    }
                    let take = Swift.min(remaining, input.readableBytes)
                    let slice = input.readSlice(length: take)!
                    slice.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                    chunk.writeImmutableBuffer(slice)
                    state = remaining == take ? .dataEnd(signature: signature) : .data(remaining: remaining - take, signature: signature)
                case .dataEnd(let signature):
                    guard let line = try await readLine(), line.isEmpty else { throw failure.record(.incompleteBody) }
                    try verifyChunk(signature)
                    state = .header
                    let verified = chunk
                    chunk = ByteBuffer()
                    let previous = pendingChunk
                    pendingChunk = verified
                    if let previous { return previous }
                case .trailers:
                    // Trailing checksums (`x-amz-checksum-*`) end at an empty line; the store
                    // computes its own.
                    guard let line = try await readLine() else {
                        state = .done
                        continue
                    }
                    if line.isEmpty { state = .done }
                }
            }
        }

        private mutating func verifyChunk(_ signature: String?) throws {
            let digest = hasher.finalize()
            hasher = SHA256()
            guard var current = chain else { return }
            guard let signature, current.verify(chunkHash: digest, signature: signature.utf8) else {
                throw failure.record(.signatureDoesNotMatch)
            }
            chain = current
        }

        /// The next CRLF-terminated line of the chunked framing, without its CRLF.
        private mutating func readLine() async throws -> String? {
            while true {
                if let newline = input.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                    let length = newline - input.readerIndex
                    var line = input.readString(length: length) ?? ""
                    input.moveReaderIndex(forwardBy: 1)
                    if line.hasSuffix("\r") { line.removeLast() }
                    return line
                }
                guard input.readableBytes < 4096 else { throw failure.record(.invalidArgument("Invalid chunk header")) }
                guard var more = try await source.next() else {
                    if input.readableBytes == 0 { return nil }
                    let line = input.readString(length: input.readableBytes) ?? ""
                    return line
                }
                input.writeBuffer(&more)
            }
        }
    }
}

/// An upload body whose first checked buffer is taken before the store's request starts
/// (see ``S3UploadBody``).
final class PrimedUpload: @unchecked Sendable {
    // Unchecked: the iterator is used by one task at a time: `prime()` runs to completion
    // before the store's client starts reading `body`.
    private var iterator: S3UploadBody.Iterator
    private var first: ByteBuffer?

    init(_ body: S3UploadBody) {
        iterator = body.makeAsyncIterator()
    }

    /// Reads and checks up to the first buffer the store may see; throws what the check found.
    func prime() async throws {
        first = try await iterator.next()
    }

    var body: Sequence { Sequence(upload: self) }

    fileprivate func next() async throws -> ByteBuffer? {
        if let buffer = first {
            first = nil
            return buffer
        }
        return try await iterator.next()
    }

    struct Sequence: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let upload: PrimedUpload

        struct AsyncIterator: AsyncIteratorProtocol {
            let upload: PrimedUpload
            mutating func next() async throws -> ByteBuffer? { try await upload.next() }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(upload: upload) }
    }
}
