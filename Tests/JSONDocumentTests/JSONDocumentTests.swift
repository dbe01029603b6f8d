import Foundation
import Testing

@testable import JSONDocument

@Suite("JSONDocument parsing and navigation")
struct JSONDocumentParsingTests {
    @Test("parses objects keeping key order, and navigates by key, index and path")
    func navigate() throws {
        let doc = try JSONDocument(parsing: #"{"z": 1, "a": [true, null, "x\u00e9"], "m": {"k": 2.5, "b": -3}}"#)
        #expect(doc.kind == .object)
        #expect(doc.keys == ["z", "a", "m"])
        #expect(doc["z"]?.int == 1)
        #expect(doc["a"]?[0]?.bool == true)
        #expect(doc["a"]?[1]?.isNull == true)
        #expect(doc["a"]?[2]?.string == "xé")
        #expect(doc["a"]?[3] == nil)
        #expect(doc[path: ["m", "k"]]?.double == 2.5)
        #expect(doc[path: ["m", "b"]]?.kind == .integer)
        #expect(doc[path: ["m", "nope"]] == nil)
        #expect(doc["m"]?.keys == ["k", "b"])
        #expect(doc["a"]?.count == 3)
        #expect(doc["z"]?.string == nil)
        #expect(doc["a"]?["key"] == nil)
    }

    struct BadInput: Sendable, CustomStringConvertible {
        var text: String
        var line: Int
        var column: Int
        var description: String { text.debugDescription }
    }

    @Test(
        "broken JSON reports line, column and a message",
        arguments: [
            BadInput(text: "{\n  \"a\": 1,\n  \"b\": }", line: 3, column: 8),
            BadInput(text: "[1, 2", line: 1, column: 5),
            BadInput(text: "", line: 1, column: 0),
            BadInput(text: "{\"a\" 1}", line: 1, column: 6),
        ])
    func parseErrors(_ input: BadInput) throws {
        let error = try #require(throws: JSONDocument.ParseError.self) {
            try JSONDocument(parsing: input.text, source: "dash.json")
        }
        #expect(error.line == input.line)
        #expect(error.column == input.column)
        #expect(!error.message.isEmpty)
        #expect(error.description.hasPrefix("dash.json:\(input.line):\(input.column): "))
    }

    @Test("scalars at the top level parse too")
    func scalars() throws {
        #expect(try JSONDocument(parsing: "42").int == 42)
        #expect(try JSONDocument(parsing: "\"s\"").string == "s")
        #expect(try JSONDocument(parsing: "null").isNull)
    }

    @Test("strings with NUL bytes and non-ASCII survive")
    func strings() throws {
        let doc = try JSONDocument(parsing: #"["a\u0000b", "日本", "\ud83d\ude00"]"#)
        #expect(doc[0]?.string == "a\u{0}b")
        #expect(doc[1]?.string == "日本")
        #expect(doc[2]?.string == "😀")
        #expect(doc.serialized(indent: nil) == "[\"a\\u0000b\",\"日本\",\"😀\"]")
    }
}

@Suite("JSONDocument building and patching")
struct JSONDocumentPatchTests {
    @Test("literals build documents in the written order")
    func literals() {
        let doc: JSONDocument = ["b": 1, "a": [1.5, "x", nil, true], "c": [:]]
        #expect(doc.serialized(indent: nil) == #"{"b":1,"a":[1.5,"x",null,true],"c":{}}"#)
    }

    @Test("set replaces in place, adds at the end, creates missing objects")
    func set() throws {
        var doc: JSONDocument = ["a": 1, "b": ["c": 2]]
        try doc.set("one", at: ["a"])
        try doc.set(3, at: ["b", "d"])
        try doc.set(true, at: ["x", "y", "z"])
        #expect(doc.serialized(indent: nil) == #"{"a":"one","b":{"c":2,"d":3},"x":{"y":{"z":true}}}"#)
    }

    @Test("array set, insert, append and remove")
    func arrays() throws {
        var doc: JSONDocument = ["list": [1, 2, 3]]
        try doc.set(20, at: ["list", 1])
        try doc.insert(0, at: ["list", 0])
        try doc.append(4, to: ["list"])
        let removed = try doc.remove(at: ["list", 2])
        #expect(removed?.int == 20)
        #expect(doc.serialized(indent: nil) == #"{"list":[0,1,3,4]}"#)
        #expect(throws: JSONDocument.PathError.indexOutOfRange(path: "$.list[9]", index: 9, count: 4)) {
            try doc.set(1, at: ["list", 9])
        }
    }

    @Test("patching through a wrong kind throws and changes nothing")
    func typeMismatch() throws {
        var doc: JSONDocument = ["a": [1]]
        let before = doc.serialized()
        #expect(throws: JSONDocument.PathError.typeMismatch(path: "$.a", expected: .object, found: .array)) {
            try doc.set(1, at: ["a", "b"])
        }
        #expect(throws: JSONDocument.PathError.notFound(path: "$.q")) {
            try doc.set(1, at: ["q", 0])
        }
        #expect(doc.serialized() == before)
    }

    @Test("remove of a missing member returns nil and keeps the document")
    func removeMissing() throws {
        var doc: JSONDocument = ["a": 1]
        #expect(try doc.remove(at: ["b"]) == nil)
        #expect(try doc.remove(at: ["a", "x"]) == nil)
        #expect(doc.keys == ["a"])
    }

    @Test("copies are independent: patching one never changes another (copy-on-write)")
    func copyOnWrite() throws {
        let original = try JSONDocument(parsing: #"{"panels": [{"title": "A", "targets": [{"expr": "up"}]}]}"#)
        var copy = original
        try copy.set("B", at: ["panels", 0, "title"])
        var child = try #require(original[path: ["panels", 0]])
        try child.set("rate(x[5m])", at: ["targets", 0, "expr"])
        #expect(original[path: ["panels", 0, "title"]]?.string == "A")
        #expect(original[path: ["panels", 0, "targets", 0, "expr"]]?.string == "up")
        #expect(copy[path: ["panels", 0, "title"]]?.string == "B")
        #expect(copy[path: ["panels", 0, "targets", 0, "expr"]]?.string == "up")
        #expect(child[path: ["targets", 0, "expr"]]?.string == "rate(x[5m])")

        // A document inserted into itself is a snapshot, not a cycle.
        var selfish: JSONDocument = ["a": 1]
        try selfish.set(selfish, at: ["me"])
        #expect(selfish.serialized(indent: nil) == #"{"a":1,"me":{"a":1}}"#)
        let sub = try #require(selfish["me"])
        try selfish.set(sub, at: ["me", "again"])
        #expect(selfish.serialized(indent: nil) == #"{"a":1,"me":{"a":1,"again":{"a":1}}}"#)
        #expect(sub.serialized(indent: nil) == #"{"a":1}"#)
    }

    @Test("removingKeys drops members at any depth without touching the original")
    func removingKeys() throws {
        let doc = try JSONDocument(parsing: #"{"id": 1, "uid": "u", "panels": [{"id": 2, "title": "t"}]}"#)
        let stripped = doc.removingKeys(["id", "uid"])
        #expect(stripped.serialized(indent: nil) == #"{"panels":[{"title":"t"}]}"#)
        #expect(doc[path: ["panels", 0, "id"]]?.int == 2)
    }
}

@Suite("JSONDocument comparison")
struct JSONDocumentCompareTests {
    @Test("equality ignores key order and compares numbers by value")
    func equality() throws {
        let a = try JSONDocument(parsing: #"{"a": 1, "b": [1, {"c": 2}]}"#)
        let b = try JSONDocument(parsing: #"{"b": [1.0, {"c": 2}], "a": 1}"#)
        #expect(a == b)
        #expect(a != (try JSONDocument(parsing: #"{"a": 1, "b": [{"c": 2}, 1]}"#)))
        #expect(a != (try JSONDocument(parsing: #"{"a": 1}"#)))
        #expect(a != (try JSONDocument(parsing: #"{"a": "1", "b": [1, {"c": 2}]}"#)))
    }

    @Test("isEqual(to:ignoringKeys:) skips the named keys at every depth")
    func ignoring() throws {
        let mine = try JSONDocument(parsing: #"{"title": "T", "panels": [{"id": 1, "type": "graph"}]}"#)
        let theirs = try JSONDocument(parsing: #"{"id": 7, "version": 3, "title": "T", "panels": [{"id": 9, "type": "graph"}]}"#)
        #expect(!mine.isEqual(to: theirs))
        #expect(mine.isEqual(to: theirs, ignoringKeys: ["id", "version"]))
        #expect(!mine.isEqual(to: theirs, ignoringKeys: ["version"]))
        let changed = try theirs.setting("table", at: ["panels", 0, "type"])
        #expect(!mine.isEqual(to: changed, ignoringKeys: ["id", "version"]))
    }
}

@Suite("JSONDocument serialisation")
struct JSONDocumentSerializationTests {
    @Test("2-space indentation in the style of JSON.stringify(x, null, 2)")
    func indentation() throws {
        let doc = try JSONDocument(parsing: #"{"a":[],"b":{},"c":[1,{"d":"e"}],"f":null}"#)
        let expected = """
            {
              "a": [],
              "b": {},
              "c": [
                1,
                {
                  "d": "e"
                }
              ],
              "f": null
            }
            """
        #expect(doc.serialized() == expected)
        #expect(doc.serialized(trailingNewline: true) == expected + "\n")
        #expect(doc.serialized(indent: 4).contains("\n    \"a\": []"))
    }

    struct NumberCase: Sendable, CustomStringConvertible {
        var input: String
        var output: String
        var description: String { input }
    }

    @Test(
        "numbers round-trip as written (shortest form, not %.17g)",
        arguments: [
            NumberCase(input: "0.1", output: "0.1"),
            NumberCase(input: "0.30000000000000004", output: "0.30000000000000004"),
            NumberCase(input: "1.5", output: "1.5"),
            NumberCase(input: "-0.25", output: "-0.25"),
            NumberCase(input: "100", output: "100"),
            NumberCase(input: "-9223372036854775808", output: "-9223372036854775808"),
            NumberCase(input: "1e-05", output: "1e-05"),
            NumberCase(input: "0.0001", output: "0.0001"),
            NumberCase(input: "1.0", output: "1.0"),
            NumberCase(input: "1e+20", output: "1e+20"),
            NumberCase(input: "9100000000000000.0", output: "9100000000000000.0"),
            NumberCase(input: "1e16", output: "1e+16"),
        ])
    func numbers(_ number: NumberCase) throws {
        let doc = try JSONDocument(parsing: "[\(number.input)]")
        #expect(doc.serialized(indent: nil) == "[\(number.output)]")
    }

    @Test("escapes quotes, backslashes and control characters; keeps non-ASCII and slashes")
    func escaping() {
        let doc = JSONDocument("q\"b\\n\nt\tc\u{1}é/")
        #expect(doc.serialized() == #""q\"b\\n\nt\tc\u0001é/""#)
    }
}
