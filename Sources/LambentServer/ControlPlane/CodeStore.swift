import Crypto
import Foundation
import LambentCode
import LambentModel
import LambentStore
import Logging

/// Deployment packages and layer contents: each zip kept as a content-addressed blob and
/// unpacked once into `<codeRoot>/<sha256-hex>/`; a function's layers merged, in order,
/// into `<codeRoot>/layers-<hex>/`, its /opt. Zips are untrusted: `LambentCode` validates
/// them before anything is kept.
struct CodeStore: Sendable {
    let blobs: BlobStore
    let codeRoot: URL
    let logger: Logger

    struct StoredCode {
        var sha256Base64: String
        var sha256Hex: String
        var size: Int
    }

    /// Where a code blob's unpacked tree (or a merged layers tree) lives.
    func directory(for key: String) -> URL {
        codeRoot.appendingPathComponent(key)
    }

    /// Validates and unpacks a zip, then keeps it as a content-addressed blob. Unpacking comes
    /// first so a bad zip is refused before anything is kept.
    func store(_ zip: [UInt8]) async throws -> StoredCode {
        guard zip.count <= Limits.zippedCodeBytes else {
            throw LambdaError(status: 413, type: "RequestEntityTooLargeException",
                              message: "Zipped size must be smaller than \(Limits.zippedCodeBytes) bytes")
        }
        let digest = CodeArchive.digest(of: zip)
        let key = digest.sha256Hex
        let directory = directory(for: key)
        let blobPath = blobs.url(for: key)
        if FileManager.default.fileExists(atPath: directory.path), FileManager.default.fileExists(atPath: blobPath.path) {
            return StoredCode(sha256Base64: digest.sha256Base64, sha256Hex: key, size: digest.size)
        }
        let upload = blobs.root.appendingPathComponent(".upload-\(UUID().uuidString).zip")
        defer { try? FileManager.default.removeItem(at: upload) }
        do {
            try Data(zip).write(to: upload)
        } catch {
            throw LambdaError.service("could not store the deployment package: \(error)")
        }
        let limits = CodeLimits()
        do throws(CodeError) {
            try CodeArchive.validate(zipAt: upload, limits: limits)
            if !FileManager.default.fileExists(atPath: directory.path) {
                try CodeArchive.extract(zipAt: upload, to: directory, limits: limits)
            }
        } catch {
            throw lambdaError(error)
        }
        do {
            try blobs.put(zip, key: key)
        } catch {
            throw LambdaError.service("could not store the deployment package: \(error)")
        }
        return StoredCode(sha256Base64: digest.sha256Base64, sha256Hex: key, size: digest.size)
    }

    /// Merges layer zips (blob keys, in the function's order) into one tree, once per
    /// distinct list, within `budget` unzipped bytes (what the function's own code leaves of
    /// Lambda's 250 MB). Returns the tree's key.
    func mergeLayers(_ codeKeys: [String], budget: Int) throws -> String {
        let listDigest = SHA256.hash(data: Data(codeKeys.joined(separator: "\n").utf8))
        let key = "layers-" + listDigest.map { String(format: "%02x", $0) }.joined()
        let destination = directory(for: key)
        if FileManager.default.fileExists(atPath: destination.path) { return key }
        do throws(CodeError) {
            try CodeArchive.extract(zipsAt: codeKeys.map(blobs.url(for:)), to: destination,
                                    limits: CodeLimits(maxZippedBytes: Int.max, maxUnzippedBytes: max(budget, 0)))
        } catch {
            // Another create merging the same list got there first.
            if error.code == .io, FileManager.default.fileExists(atPath: destination.path) { return key }
            throw lambdaError(error)
        }
        return key
    }

    /// Bytes of the regular files under `directory` (symlinks are not followed).
    func unzippedSize(of key: String) -> Int {
        let root = directory(for: key)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey]) else {
            return 0
        }
        var total = 0
        for case let url as URL in walker {
            guard let values = try? url.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey]),
                  values.isRegularFile == true else { continue }
            total += values.fileSize ?? 0
        }
        return total
    }

    /// Removes unpacked trees and blobs that nothing refers to (run at startup, when no
    /// environment can be using them).
    func collectUnused(store: any Store) async {
        let manager = FileManager.default
        guard let keys = try? manager.contentsOfDirectory(atPath: codeRoot.path) else { return }
        for key in keys where !key.hasPrefix(".") {
            if (try? await store.isCodeReferenced(key)) == false {
                try? manager.removeItem(at: directory(for: key))
                blobs.remove(key: key)
            }
        }
    }

    private func lambdaError(_ error: CodeError) -> LambdaError {
        if error.code == .io {
            logger.error("could not unpack code", metadata: ["lambent.error": "\(error)"])
            return LambdaError.service("could not unpack the deployment package")
        }
        return LambdaError.invalidParameter(error.message)
    }
}
