import Foundation
import LambentExecution
import LambentModel
import Logging

/// Container images for `PackageType: Image` functions: resolved to a digest and read with
/// Debian's `skopeo` (which verifies every blob against its digest as it copies), unpacked
/// rootless with `umoci` once per digest into `<codeRoot>/image-<hex>/rootfs`, the read-only
/// root file system of the function's environments. No Docker daemon anywhere.
///
/// Any registry the server reaches works (AWS uses ECR); registries on loopback are spoken to
/// over plain HTTP, as a local `docker-registry` serves.
struct ImageStore: Sendable {
    let codeRoot: URL
    let logger: Logger

    /// Why an image could not be used: either the request is wrong (`invalidRequest`, a 400
    /// as AWS answers for an image that does not exist), or the function is created in
    /// `State: Failed` with this reason, as AWS reports image failures.
    struct Failure: Error {
        var reasonCode: String
        var message: String
        var invalidRequest = false
    }

    /// The key (`image-<hex>`) and details of `uri`, pulled and unpacked unless already here.
    func pull(_ uri: String, architecture: String) async throws(Failure) -> (key: String, image: FunctionImage) {
        try checkTools()
        let reference = try ImageReference(uri)
        let transport = "docker://\(reference.description)"
        let tls = "--tls-verify=\(!reference.isLoopback)"
        let inspected = try await run(["skopeo", "inspect", tls, transport], what: uri)
        guard let summary = try? JSONSerialization.jsonObject(with: Data(inspected.utf8)) as? [String: Any],
              let digest = summary["Digest"] as? String, digest.hasPrefix("sha256:") else {
            throw Failure(reasonCode: "InvalidImage", message: "Lambent could not read the manifest of \(uri).")
        }
        let configText = try await run(["skopeo", "inspect", "--config", tls, transport], what: uri)
        guard let configJSON = try? JSONSerialization.jsonObject(with: Data(configText.utf8)) as? [String: Any] else {
            throw Failure(reasonCode: "InvalidImage", message: "Lambent could not read the configuration of \(uri).")
        }
        let imageArchitecture = configJSON["architecture"] as? String ?? "amd64"
        let wanted = architecture == "arm64" ? "arm64" : "amd64"
        guard imageArchitecture == wanted else {
            throw Failure(reasonCode: "InvalidImage",
                          message: "The image \(uri) is for \(imageArchitecture); the function's architecture is \(architecture).")
        }
        let config = configJSON["config"] as? [String: Any] ?? [:]
        let image = FunctionImage(
            imageUri: uri, resolvedImageUri: "\(reference.repositoryPath)@\(digest)", digest: digest,
            entryPoint: config["Entrypoint"] as? [String] ?? [], command: config["Cmd"] as? [String] ?? [],
            workingDirectory: config["WorkingDir"] as? String ?? "", environment: config["Env"] as? [String] ?? [])
        let key = "image-\(digest.dropFirst("sha256:".count))"
        let directory = codeRoot.appendingPathComponent(key)
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("rootfs").path) { return (key, image) }
        try await unpack("docker://\(reference.repositoryPath)@\(digest)", tls: tls, uri: uri, into: directory)
        return (key, image)
    }

    /// Copies the image by digest into an OCI layout and unpacks it, in a scratch folder
    /// renamed into place when complete.
    private func unpack(_ source: String, tls: String, uri: String, into directory: URL) async throws(Failure) {
        let manager = FileManager.default
        let scratch = codeRoot.appendingPathComponent(".image-\(UUID().uuidString)")
        defer { try? manager.removeItem(at: scratch) }
        try? manager.createDirectory(at: scratch, withIntermediateDirectories: true)
        let started = ContinuousClock.now
        _ = try await run(["skopeo", "copy", "--quiet", "--src-tls-verify=\(tls.hasSuffix("true"))", source,
                           "oci:\(scratch.path)/layout:image"], what: uri, reasonCode: "InvalidImage")
        _ = try await run(["umoci", "unpack", "--rootless", "--image", "\(scratch.path)/layout:image", "\(scratch.path)/bundle"],
                          what: uri, reasonCode: "InvalidImage")
        let rootfs = scratch.appendingPathComponent("bundle/rootfs")
        let size = Self.size(of: rootfs)
        guard size <= Limits.imageBytes else {
            throw Failure(reasonCode: "InvalidImage",
                          message: "The image \(uri) is \(size) bytes uncompressed; the limit is \(Limits.imageBytes) bytes.")
        }
        do {
            try manager.createDirectory(at: directory, withIntermediateDirectories: true)
            if !manager.fileExists(atPath: directory.appendingPathComponent("rootfs").path) {
                try manager.moveItem(at: rootfs, to: directory.appendingPathComponent("rootfs"))
            }
        } catch {
            throw Failure(reasonCode: "InternalError", message: "Lambent could not keep the image \(uri): \(error)")
        }
        logger.info("image unpacked", metadata: [
            "lambent.image": "\(uri)", "lambent.bytes": "\(size)", "lambent.duration": "\(ContinuousClock.now - started)",
        ])
    }

    private func checkTools() throws(Failure) {
        for tool in ["skopeo", "umoci"] where !["/usr/bin", "/usr/local/bin"].contains(where: {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)")
        }) {
            throw Failure(reasonCode: "InvalidImage",
                          message: "Container-image functions need skopeo and umoci on the server (apt-get install skopeo umoci).",
                          invalidRequest: true)
        }
    }

    /// Runs a tool; a failure becomes the function's state reason, except an image the
    /// registry says does not exist, which AWS refuses as a bad request.
    private func run(_ argv: [String], what uri: String, reasonCode: String = "ImageAccessDenied") async throws(Failure) -> String {
        let result: (status: Int32, text: String)
        do {
            result = try await HostCommand.runOffPool(["/usr/bin/env"] + argv)
        } catch {
            throw Failure(reasonCode: "InternalError", message: "Lambent could not run \(argv[0]): \(error)")
        }
        guard result.status == 0 else {
            let detail = result.text.trimmingCharacters(in: .whitespacesAndNewlines).suffix(500)
            if detail.contains("manifest unknown") || detail.contains("name unknown") || detail.contains("not found") {
                throw Failure(reasonCode: "InvalidImage",
                              message: "Source image \(uri) does not exist. Provide a valid source image.", invalidRequest: true)
            }
            throw Failure(reasonCode: reasonCode, message: "Lambent could not pull the image \(uri): \(detail)")
        }
        return result.text
    }

    /// Bytes of the regular files under `root`.
    static func size(of root: URL) -> Int {
        guard let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey]) else {
            return 0
        }
        var total = 0
        for case let file as URL in files {
            let values = try? file.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey])
            if values?.isRegularFile == true { total += values?.fileSize ?? 0 }
        }
        return total
    }
}

/// An image reference `registry[:port]/repository[:tag|@sha256:…]`, checked before any tool sees it.
struct ImageReference: CustomStringConvertible {
    var registry: String
    var repository: String
    var tag: String?
    var digest: String?

    init(_ uri: String) throws(ImageStore.Failure) {
        let invalid = ImageStore.Failure(reasonCode: "InvalidImage", message: "Source image \(uri) is not valid. Provide a valid source image.",
                                         invalidRequest: true)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:@")
        guard !uri.isEmpty, uri.count <= 256, uri.allSatisfy({ allowed.contains($0) }), !uri.hasPrefix("-"),
              let slash = uri.firstIndex(of: "/") else { throw invalid }
        registry = String(uri[..<slash])
        var rest = String(uri[uri.index(after: slash)...])
        if let at = rest.firstIndex(of: "@") {
            digest = String(rest[rest.index(after: at)...])
            rest = String(rest[..<at])
            guard digest?.hasPrefix("sha256:") == true else { throw invalid }
        }
        if let colon = rest.lastIndex(of: ":") {
            tag = String(rest[rest.index(after: colon)...])
            rest = String(rest[..<colon])
        }
        repository = rest
        guard !registry.isEmpty, !repository.isEmpty, !repository.contains(":"), tag?.isEmpty != true else { throw invalid }
    }

    /// `registry/repository`.
    var repositoryPath: String { "\(registry)/\(repository)" }

    var description: String {
        if let digest { return "\(repositoryPath)@\(digest)" }
        return "\(repositoryPath):\(tag ?? "latest")"
    }

    /// Whether the registry is on this machine's loopback (spoken to without TLS).
    var isLoopback: Bool {
        let host = registry.split(separator: ":").first.map(String.init) ?? registry
        return host == "localhost" || host.hasPrefix("127.") || host.hasSuffix(".localhost")
    }
}
