/// The tree a zip would create, built entry by entry, used to refuse conflicts and
/// symlinks that lead out of the destination before anything is written.
///
/// Duplicate policy: a later file or symlink entry with the same path replaces the earlier
/// one (last wins, as `unzip -o` and Python's `zipfile` do); repeated directory entries
/// merge. Everything else is refused as `.unsafePath`: a path below a file or symlink,
/// and a file or symlink where a directory is (or the reverse).
struct EntryTable {
    private var kinds: [String: ZipEntry.Kind] = [:]
    /// Symlinks in the final tree, by path.
    private var finalLinks: [String: String] = [:]
    /// Every symlink entry ever seen, replaced ones included: each must be safe.
    private var allLinks: [(path: EntryPath, target: String)] = []

    /// The most symlinks followed while resolving one, as Linux's MAXSYMLINKS.
    static let maxHops = 40

    mutating func insert(_ path: EntryPath, kind: ZipEntry.Kind, linkTarget: String? = nil) throws(CodeError) {
        var prefix = ""
        for component in path.components.dropLast() {
            prefix = prefix.isEmpty ? component : prefix + "/" + component
            switch kinds[prefix] {
            case nil:
                kinds[prefix] = .directory
            case .directory:
                break
            case .file, .symlink:
                throw .unsafePath("entry \(path) is below the file or symlink \(prefix)")
            }
        }
        let key = path.description
        guard !key.isEmpty else { return }  // "./": the destination itself.
        switch (kinds[key], kind) {
        case (nil, _), (.directory, .directory), (.file, .file), (.file, .symlink), (.symlink, .file),
            (.symlink, .symlink):
            kinds[key] = kind
        case (.directory, _), (_, .directory):
            throw .unsafePath("entry \(path) is both a directory and a file or symlink")
        }
        if kind == .symlink, let linkTarget {
            finalLinks[key] = linkTarget
            allLinks.append((path, linkTarget))
        } else {
            finalLinks[key] = nil
        }
    }

    /// Resolves every symlink the way the kernel would, inside the tree, and refuses any
    /// that reaches above the destination at any step or loops.
    func checkLinksStayInside() throws(CodeError) {
        for (path, target) in allLinks {
            var stack = Array(path.components.dropLast())
            var pending = Array(target.split(separator: "/", omittingEmptySubsequences: true).reversed())
            var hops = 0
            while let component = pending.popLast() {
                if component == "." { continue }
                if component == ".." {
                    guard !stack.isEmpty else {
                        throw .unsafePath("symlink \(path) -> \(target) leads outside the destination")
                    }
                    stack.removeLast()
                    continue
                }
                stack.append(String(component))
                if let next = finalLinks[stack.joined(separator: "/")] {
                    hops += 1
                    guard hops <= Self.maxHops else { throw .unsafePath("symlink \(path) loops") }
                    stack.removeLast()
                    pending.append(contentsOf: next.split(separator: "/", omittingEmptySubsequences: true).reversed())
                }
            }
        }
    }
}
