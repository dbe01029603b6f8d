import Foundation
import Testing

@testable import HTTPTransport

@Suite("HTTPBodyLines")
struct LinesTests {
    struct SplitCase: Sendable, CustomStringConvertible {
        var chunks: [String]
        var lines: [String]
        var description: String { chunks.debugDescription }
    }

    private func stream(_ chunks: [String]) -> AsyncThrowingStream<Data, any Error> {
        AsyncThrowingStream { continuation in
            for chunk in chunks { continuation.yield(Data(chunk.utf8)) }
            continuation.finish()
        }
    }

    @Test(
        "lines come out whole whatever the chunk boundaries",
        arguments: [
            SplitCase(chunks: ["a\nb\n"], lines: ["a", "b"]),
            SplitCase(chunks: ["{\"stat", "us\":\"pull\"}\n{\"st", "atus\":\"done\"}\n"], lines: [#"{"status":"pull"}"#, #"{"status":"done"}"#]),
            SplitCase(chunks: ["a", "", "b", "\n"], lines: ["ab"]),
            SplitCase(chunks: ["one\r", "\ntwo\r\n"], lines: ["one", "two"]),
            SplitCase(chunks: ["no newline at the end"], lines: ["no newline at the end"]),
            SplitCase(chunks: ["x\n\ny\n"], lines: ["x", "", "y"]),
            SplitCase(chunks: ["é", "\u{00A0}\n"], lines: ["é\u{00A0}"]),
            SplitCase(chunks: [], lines: []),
        ])
    func split(_ testCase: SplitCase) async throws {
        var lines: [String] = []
        for try await line in stream(testCase.chunks).lines {
            lines.append(String(decoding: line, as: UTF8.self))
        }
        #expect(lines == testCase.lines)
    }

    @Test("one chunk holding many lines, then a line split over chunks, yields every line once and in order")
    func manyLines() async throws {
        let big = (0..<20_000).map { #"{"id":\#($0)}"# }.joined(separator: "\n") + "\n{\"id\":"
        var numbers: [Int] = []
        for try await line in stream([big, "20000}\n"]).lines {
            let text = String(decoding: line, as: UTF8.self)
            numbers.append(Int(text.dropFirst(6).dropLast()) ?? -1)
        }
        #expect(numbers == Array(0...20_000))
    }

    @Test("a line longer than the limit throws instead of buffering without end")
    func tooLong() async throws {
        let chunks = Array(repeating: String(repeating: "x", count: 100), count: 20)
        await #expect(throws: HTTPBodyLineTooLong.self) {
            for try await _ in stream(chunks).lines(maxLineLength: 1000) {}
        }
    }

    @Test("an error from the body reaches the line reader")
    func errorPropagates() async throws {
        struct Broken: Error {}
        let body = AsyncThrowingStream<Data, any Error> { continuation in
            continuation.yield(Data("a\nb".utf8))
            continuation.finish(throwing: Broken())
        }
        var seen: [String] = []
        await #expect(throws: Broken.self) {
            for try await line in body.lines { seen.append(String(decoding: line, as: UTF8.self)) }
        }
        #expect(seen == ["a"])
    }
}
