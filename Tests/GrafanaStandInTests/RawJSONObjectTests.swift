import Foundation
import Testing
@testable import GrafanaStandIn

@Suite("RawJSONObject")
struct RawJSONObjectTests {
    @Test("replacing a member keeps every other byte where it was")
    func replaceKeepsOrder() throws {
        var object = try #require(RawJSONObject(Data(#"{ "title": "A", "id": null, "panels": [{"id": 1}], "uid": "x" }"#.utf8)))
        object.set("id", rawValue: "7")
        object.set("uid", string: "y")
        #expect(String(decoding: object.data, as: UTF8.self) == #"{ "title": "A", "id": 7, "panels": [{"id": 1}], "uid": "y" }"#)
        #expect(object.keys == ["title", "id", "panels", "uid"])
    }

    @Test("a missing member is appended after the last one")
    func appendsMissing() throws {
        var object = try #require(RawJSONObject(Data(#"{"title":"A","tags":["a,b}"]}"#.utf8)))
        object.set("version", rawValue: "3")
        #expect(String(decoding: object.data, as: UTF8.self) == #"{"title":"A","tags":["a,b}"],"version":3}"#)
        var empty = try #require(RawJSONObject(Data("{}".utf8)))
        empty.set("uid", string: "u")
        #expect(String(decoding: empty.data, as: UTF8.self) == #"{"uid":"u"}"#)
    }

    @Test("removing a member takes its comma with it", arguments: [
        (#"{"id":1,"title":"A"}"#, #"{"title":"A"}"#),
        (#"{"title":"A","id":1}"#, #"{"title":"A"}"#),
        (#"{"id":1}"#, #"{}"#),
        (#"{"a":"\"id\"","id":{"x":[1,2]},"b":2}"#, #"{"a":"\"id\"","b":2}"#),
    ])
    func removes(input: String, expected: String) throws {
        var object = try #require(RawJSONObject(Data(input.utf8)))
        object.remove("id")
        #expect(String(decoding: object.data, as: UTF8.self) == expected)
    }

    @Test("non-objects are refused", arguments: ["[1]", "\"x\"", "{\"a\":", ""])
    func refusesNonObjects(input: String) {
        #expect(RawJSONObject(Data(input.utf8)) == nil)
    }
}
