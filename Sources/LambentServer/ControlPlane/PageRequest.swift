import LambentModel

/// `Marker` and `MaxItems` of a List operation, checked as Lambda checks them. Markers are
/// opaque to clients: the base64 of the last key of the previous page.
struct PageRequest {
    /// The key after which the page starts; nil for the first page.
    let after: String?
    /// How many items the page holds at most.
    let limit: Int

    /// `maxItems` must be in 1…10,000; `cap` is what one page really holds at most.
    init(marker: String?, maxItems: Int?, cap: Int = 10_000) throws {
        let requested = maxItems ?? min(50, cap)
        guard (1...10_000).contains(requested) else {
            throw LambdaError.validation(value: "\(requested)", field: "maxItems",
                                         constraint: requested < 1 ? "Member must have value greater than or equal to 1"
                                                                   : "Member must have value less than or equal to 10000")
        }
        limit = min(requested, cap)
        if let marker, !marker.isEmpty {
            guard let bytes = Base64.decode(marker) else { throw LambdaError.invalidParameter("Invalid Marker: \(marker)") }
            after = String(decoding: bytes, as: UTF8.self)
        } else {
            after = nil
        }
    }

    /// The marker of the next page, when there is one after `lastKey`.
    static func marker(after lastKey: String?, more: Bool) -> String? {
        guard more, let lastKey else { return nil }
        return Base64.encode(Array(lastKey.utf8))
    }
}
