import Foundation

/// The bwrap arguments that make a container image's unpacked root file system the
/// sandbox's `/`, read-only, with Lambent's few files added (the agent, `/etc/hosts`).
///
/// A read-only bind of the whole image could not take new mount points, so the root is a
/// tmpfs: each top-level entry of the image is bound (directories read-only, symlinks
/// recreated), except the directories on the way to an added file, which are rebuilt one
/// level further down the same way. The caller remounts `/` read-only at the end.
struct ImageRoot {
    let rootfs: String

    /// Arguments for the image's tree, leaving room for `injected` (absolute sandbox paths
    /// the caller binds afterwards).
    func arguments(injecting injected: [String]) -> [String] {
        ["--tmpfs", "/"] + entries(of: "", injected: injected.map { $0.split(separator: "/").map(String.init) })
    }

    /// Binds or rebuilds the entries of the image directory `relative` ("" for the root).
    private func entries(of relative: String, injected: [[String]]) -> [String] {
        let manager = FileManager.default
        let hostDirectory = relative.isEmpty ? rootfs : "\(rootfs)/\(relative)"
        let names = ((try? manager.contentsOfDirectory(atPath: hostDirectory)) ?? []).sorted()
        var args: [String] = []
        // Directories the injected paths go through, at this level: rebuilt, not bound.
        var throughHere: [String: [[String]]] = [:]
        for path in injected where path.count > 1 { throughHere[path[0], default: []].append(Array(path.dropFirst())) }
        let leaves = Set(injected.filter { $0.count == 1 }.map { $0[0] })
        for name in names where !leaves.contains(name) {
            let host = "\(hostDirectory)/\(name)"
            let sandbox = "/\(relative.isEmpty ? name : "\(relative)/\(name)")"
            if let target = try? manager.destinationOfSymbolicLink(atPath: host) {
                args += ["--symlink", target, sandbox]
            } else if let deeper = throughHere[name], isDirectory(host) {
                args += ["--dir", sandbox] + entries(of: String(sandbox.dropFirst()), injected: deeper)
            } else {
                args += ["--ro-bind", host, sandbox]
            }
        }
        // Injected paths through directories the image lacks.
        for (name, deeper) in throughHere.sorted(by: { $0.key < $1.key }) where !names.contains(name) {
            let sandbox = "/\(relative.isEmpty ? name : "\(relative)/\(name)")"
            args += ["--dir", sandbox] + deeper.filter { $0.count > 1 }.flatMap { ["--dir", "\(sandbox)/\($0[0])"] }
        }
        return args
    }

    private func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}
