import Foundation
import Testing

@testable import LambentServer

@Suite struct PayloadCheckTests {
    static let valid = [
        #"{}"#, #"[]"#, #"{"a":1}"#, #" { "a" : [ 1 , 2.5 , -0 , -0.125 , true , false , null ] } "#, #""text""#, "42", "-7", "0",
        #"{"nested":{"deeper":{"list":[[[]],{}]}}}"#, #""esc \" \\ \/ \b \f \n \r \t \u00e9 \u0041""#, "\t\r\n 1 \n",
        #"{"key":"value","other":{"x":[1,2,3]}}"#, #"[1e5]"#, #"1.5E-3"#, #"12345678901234567890"#, #""é""#, #""\ud83d\ude00""#,
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ]
    static let invalid = [
        "", " ", "{", "}", "[", "]", "{]", "[}", #"{"a"}"#, #"{"a":}"#, "[,1]", #"{a:1}"#, "'a'", #""open"#,
        "01", "-", "1.", ".5", "+1", "1 2", "tru", "truex", "nul", "nulll", "[1 2]", #"{"a" 1}"#, #""\x""#, #""\u12""#,
        "\"tab\there\"", "NaN", "Infinity", "[1]x", #"{"a":1}}"#, "\u{1}", #"{"a":1 "b":2}"#, "[-]", "[1.e5]",
    ]

    /// Foundation's parser takes a trailing comma; AWS (and RFC 8259) do not.
    static let trailingCommas = [#"{"a":1,}"#, "[1,]", #"{"a":[1,2,],"b":{},}"#]

    static func hasTrailingComma(_ document: [UInt8]) -> Bool {
        let significant = document.filter { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        return zip(significant, significant.dropFirst()).contains { $0 == UInt8(ascii: ",") && ($1 == UInt8(ascii: "}") || $1 == UInt8(ascii: "]")) }
    }

    @Test("trailing commas are refused, as AWS refuses them")
    func trailingCommasRefused() {
        for document in Self.trailingCommas {
            #expect(PayloadCheck.jsonProblem(Array(document.utf8)) != nil, "\(document)")
        }
    }

    @Test("the syntax check agrees with Foundation's parser, and leaves it the unusual documents")
    func agreesWithFoundation() {
        for document in Self.valid + Self.invalid {
            let foundation = (try? JSONSerialization.jsonObject(with: Data(document.utf8), options: [.fragmentsAllowed])) != nil
            let verdict = Array(document.utf8).withUnsafeBufferPointer { JSONSyntax.check($0) }
            if verdict != .undecided {
                #expect((verdict == .valid) == foundation, "\(document)")
            }
            #expect((PayloadCheck.jsonProblem(Array(document.utf8)) == nil) == foundation, "\(document)")
        }
        for document in Self.valid where document != "" {
            #expect(PayloadCheck.jsonProblem(Array(document.utf8)) == nil, "\(document)")
        }
    }

    @Test("ordinary events are decided without Foundation")
    func decidesOrdinaryEvents() {
        let event = #"{"Records":[{"eventVersion":"2.1","s3":{"object":{"key":"a%20b","size":1024}},"n":-12.5,"ok":true,"none":null}]}"#
        #expect(Array(event.utf8).withUnsafeBufferPointer { JSONSyntax.check($0) } == .valid)
        #expect(Array(#"{"a":"é"}"#.utf8).withUnsafeBufferPointer { JSONSyntax.check($0) } == .undecided)
    }

    @Test("mutations of a document get the same verdict from both parsers")
    func mutations() {
        let base = Array(#"{"a":[1,-2.5,"x\"y",true,null,{"b":{}}],"c":"d"}"#.utf8)
        let replacements = Array(#"{}[]",:-.0123456789 eEtrufalsn\"#.utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var document = base
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let at = Int.random(in: 0..<document.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: document[at] = replacements.randomElement(using: &generator)!
                case 1: document.remove(at: at)
                default: document.insert(replacements.randomElement(using: &generator)!, at: at)
                }
                if document.isEmpty { document = base }
            }
            let foundation = (try? JSONSerialization.jsonObject(with: Data(document), options: [.fragmentsAllowed])) != nil
            let verdict = document.withUnsafeBufferPointer { JSONSyntax.check($0) }
            if verdict != .undecided, !Self.hasTrailingComma(document) {
                #expect((verdict == .valid) == foundation, "\(String(decoding: document, as: UTF8.self))")
            }
        }
    }
}
