import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A bucket's notification configuration: which events of which keys go to which function
/// or queue. Stored as JSON; read and written as S3's XML.
struct NotificationConfiguration: Codable, Sendable, Equatable {
    struct Target: Codable, Sendable, Equatable {
        enum Kind: String, Codable, Sendable {
            case function = "CloudFunction"
            case queue = "Queue"
        }

        var kind: Kind
        var id: String
        var arn: String
        var events: [String]
        /// `(Prefix|Suffix, value)`, names as S3 writes them back.
        var rules: [Rule]

        struct Rule: Codable, Sendable, Equatable {
            var name: String
            var value: String
        }

        var prefix: String { rules.first { $0.name == "Prefix" }?.value ?? "" }
        var suffix: String { rules.first { $0.name == "Suffix" }?.value ?? "" }

        /// Whether `eventName` (`ObjectCreated:Put`) of `key` is one this target wants.
        func matches(eventName: String, key: String) -> Bool {
            guard key.hasPrefix(prefix), key.hasSuffix(suffix) else { return false }
            return events.contains { event in
                let pattern = event.hasPrefix("s3:") ? String(event.dropFirst(3)) : event
                if pattern.hasSuffix(":*") { return eventName.hasPrefix(pattern.dropLast()) }
                return pattern == eventName
            }
        }
    }

    var targets: [Target] = []

    /// The event names S3 accepts in a configuration (those Lambent raises, and the others
    /// AWS defines, accepted so configurations written for AWS load).
    static let knownEvents: Set<String> = [
        "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
        "s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete",
        "s3:ObjectRemoved:DeleteMarkerCreated", "s3:ObjectRestore:*", "s3:ObjectRestore:Post", "s3:ObjectRestore:Completed",
        "s3:ObjectRestore:Delete", "s3:ReducedRedundancyLostObject", "s3:Replication:*",
        "s3:Replication:OperationFailedReplication", "s3:Replication:OperationMissedThreshold",
        "s3:Replication:OperationReplicatedAfterThreshold", "s3:Replication:OperationNotTracked", "s3:LifecycleExpiration:*",
        "s3:LifecycleExpiration:Delete", "s3:LifecycleExpiration:DeleteMarkerCreated", "s3:LifecycleTransition",
        "s3:IntelligentTiering", "s3:ObjectTagging:*", "s3:ObjectTagging:Put", "s3:ObjectTagging:Delete", "s3:ObjectAcl:Put",
    ]
}

/// S3's XML for notification configurations.
enum NotificationXML {
    static let namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

    /// A configuration that could not be read: S3's `MalformedXML`, or `InvalidArgument`.
    static func parse(_ data: Data) throws(S3Error) -> (NotificationConfiguration, unsupported: [String]) {
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return (NotificationConfiguration(), []) }
        guard let document = document(data), let root = document.rootElement(),
              root.localName == "NotificationConfiguration" else { throw .malformedXML }
        var configuration = NotificationConfiguration()
        var unsupported: [String] = []
        for element in root.children?.compactMap({ $0 as? XMLElement }) ?? [] {
            let kind: NotificationConfiguration.Target.Kind
            switch element.localName {
            case "QueueConfiguration": kind = .queue
            case "CloudFunctionConfiguration": kind = .function
            case "TopicConfiguration":
                unsupported.append(child(element, "Topic") ?? "")
                continue
            case "EventBridgeConfiguration":
                unsupported.append("EventBridge")
                continue
            default:
                throw .malformedXML
            }
            guard let arn = child(element, kind.rawValue) else { throw .malformedXML }
            let events = children(element, "Event").compactMap(\.stringValue)
            guard !events.isEmpty else { throw .malformedXML }
            var rules: [NotificationConfiguration.Target.Rule] = []
            if let filter = children(element, "Filter").first {
                for key in children(filter, "S3Key") {
                    for rule in children(key, "FilterRule") {
                        let name = child(rule, "Name") ?? ""
                        let value = child(rule, "Value") ?? ""
                        switch name.lowercased() {
                        case "prefix": rules.append(.init(name: "Prefix", value: value))
                        case "suffix": rules.append(.init(name: "Suffix", value: value))
                        default: throw S3Error.invalidArgument("FilterRule name must be either prefix or suffix",
                                                              name: "FilterRule", value: name)
                        }
                    }
                }
            }
            let id = child(element, "Id").flatMap { $0.isEmpty ? nil : $0 } ?? UUID().uuidString
            configuration.targets.append(.init(kind: kind, id: id, arn: arn, events: events, rules: rules))
        }
        return (configuration, unsupported)
    }

    static func render(_ configuration: NotificationConfiguration) -> String {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<NotificationConfiguration xmlns=\"\(namespace)\">"
        for kind in [NotificationConfiguration.Target.Kind.queue, .function] {
            for target in configuration.targets where target.kind == kind {
                let element = kind == .queue ? "QueueConfiguration" : "CloudFunctionConfiguration"
                xml += "<\(element)><Id>\(XMLText.escaped(target.id))</Id><\(kind.rawValue)>\(XMLText.escaped(target.arn))</\(kind.rawValue)>"
                for event in target.events { xml += "<Event>\(XMLText.escaped(event))</Event>" }
                if !target.rules.isEmpty {
                    xml += "<Filter><S3Key>"
                    for rule in target.rules {
                        xml += "<FilterRule><Name>\(rule.name)</Name><Value>\(XMLText.escaped(rule.value))</Value></FilterRule>"
                    }
                    xml += "</S3Key></Filter>"
                }
                xml += "</\(element)>"
            }
        }
        return xml + "</NotificationConfiguration>"
    }

    static func children(_ element: XMLElement, _ name: String) -> [XMLElement] {
        element.children?.compactMap { $0 as? XMLElement }.filter { $0.localName == name } ?? []
    }

    static func child(_ element: XMLElement, _ name: String) -> String? {
        children(element, name).first?.stringValue
    }

    /// The text of every `<name>` element anywhere in an XML document (keys of a
    /// DeleteObjects answer, the ETag of a copy).
    static func values(of name: String, in data: Data) -> [String] {
        guard let document = document(data), let root = document.rootElement() else { return [] }
        var found: [String] = []
        func walk(_ element: XMLElement, path: [String]) {
            for child in element.children?.compactMap({ $0 as? XMLElement }) ?? [] {
                let here = path + [child.localName ?? ""]
                if here.suffix(name.split(separator: "/").count).joined(separator: "/") == name {
                    found.append(child.stringValue ?? "")
                }
                walk(child, path: here)
            }
        }
        walk(root, path: [root.localName ?? ""])
        return found
    }

    /// Parses a document from a client or the store. A document type is refused outright (S3's
    /// bodies have none): its entities could name files or URLs that libxml2 would read into
    /// the document (a client read the server's credentials back that way), or expand without
    /// bound; external entities are also never loaded, and a body with NUL bytes (UTF-16 or
    /// UTF-32, which could hide a document type from the check) is refused too.
    static func document(_ data: Data) -> XMLDocument? {
        guard !data.contains(0), data.range(of: Data("<!DOCTYPE".utf8)) == nil, data.range(of: Data("<!ENTITY".utf8)) == nil else {
            return nil
        }
        return try? XMLDocument(data: data, options: [.nodeLoadExternalEntitiesNever])
    }

    /// The root element's local name (`Error` when a 200 answer carries an error).
    static func rootName(_ data: Data) -> String? {
        document(data)?.rootElement()?.localName
    }
}
