import Foundation
import TestSupport
import Testing

@testable import JSONDocument

/// The acceptance stacks (vendored under Tests/Fixtures, see TestSupport's `Fixtures`).
private let acceptanceStacks = Fixtures.acceptanceStacks

private func dashboardFiles() -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: acceptanceStacks.path) else { return [] }
    return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".json") }.sorted()
}

/// Python's rendering of the same file: `json.dumps(obj, indent=2, ensure_ascii=False)`.
private func pythonRendering(of url: URL) throws -> String? {
    let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let python else { return nil }
    let script = "import json,sys; sys.stdout.write(json.dumps(json.load(open(sys.argv[1], encoding='utf-8')), indent=2, ensure_ascii=False))"
    let result = try Subprocess.run(python, ["-c", script, url.path], separateErrors: true)
    return result.status == 0 ? result.output : nil
}

/// Every key path of objects in document order, e.g. `$.panels[0].gridPos.h`.
private func keyPaths(_ doc: JSONDocument, _ prefix: String = "$") -> [String] {
    if let members = doc.members {
        return members.flatMap { [prefix + "." + $0.key] + keyPaths($0.value, prefix + "." + $0.key) }
    }
    if let elements = doc.elements {
        return elements.enumerated().flatMap { keyPaths($0.element, prefix + "[\($0.offset)]") }
    }
    return []
}

@Suite("JSONDocument round trip of the acceptance dashboards")
struct DashboardRoundTripTests {
    @Test("the acceptance stacks hold dashboards to test with")
    func dashboardsExist() {
        #expect(dashboardFiles().count >= 5, "no dashboards under \(acceptanceStacks.path)")
    }

    @Test("parse -> serialise keeps key order and matches Python's json.dumps(indent=2)", arguments: dashboardFiles())
    func roundTrip(_ relativePath: String) throws {
        let url = acceptanceStacks.appendingPathComponent(relativePath)
        let original = try Data(contentsOf: url)
        let doc = try JSONDocument(parsing: original, source: relativePath)
        let output = doc.serialized()

        // Key order: the same key paths in the same order after a second parse.
        let reparsed = try JSONDocument(parsing: output, source: "serialised " + relativePath)
        #expect(keyPaths(reparsed) == keyPaths(doc))
        #expect(reparsed == doc)
        // Stable: serialising again gives the same bytes.
        #expect(reparsed.serialized() == output)

        let python = try #require(try pythonRendering(of: url), "python3 could not render \(relativePath)")
        #expect(output == python, "differs from Python's rendering: \(relativePath)")
        // Files already in that format come back byte for byte.
        let text = String(decoding: original, as: UTF8.self)
        if text.trimmingCharacters(in: .newlines) == python {
            #expect(doc.serialized(trailingNewline: text.hasSuffix("\n")) == text)
        }
    }
}
