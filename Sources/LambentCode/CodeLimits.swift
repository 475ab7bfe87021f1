/// Size and count limits applied to an uploaded deployment package.
///
/// The defaults are Lambda's published quotas: 50 MB zipped for a direct upload,
/// 250 MB unzipped, and a cap on entries that keeps central-directory work bounded.
///
/// ```swift
/// var limits = CodeLimits()
/// limits.maxUnzippedBytes = 10 * 1024 * 1024
/// try CodeArchive.validate(zipAt: upload, limits: limits)
/// ```
public struct CodeLimits: Sendable, Hashable {
    /// Largest accepted zip file, in bytes (Lambda: 52,428,800 for a direct upload).
    public var maxZippedBytes: Int
    /// The sum of uncompressed entry sizes must be smaller than this, in bytes (Lambda:
    /// 262,144,000; "Unzipped size must be smaller than 262144000 bytes", and a package of
    /// exactly that size is refused).
    ///
    /// Checked twice: against the sizes the central directory declares, and against the
    /// bytes actually produced while extracting.
    public var maxUnzippedBytes: Int
    /// Largest accepted number of central-directory entries, directories included.
    public var maxEntries: Int

    /// Creates limits; every argument defaults to Lambda's quota.
    public init(
        maxZippedBytes: Int = 52_428_800,
        maxUnzippedBytes: Int = 262_144_000,
        maxEntries: Int = 20_000
    ) {
        self.maxZippedBytes = maxZippedBytes
        self.maxUnzippedBytes = maxUnzippedBytes
        self.maxEntries = maxEntries
    }
}
