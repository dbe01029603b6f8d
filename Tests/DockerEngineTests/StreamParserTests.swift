import Foundation
import TestSupport
import Testing

@testable import DockerEngine

@Suite("NDJSON and log-frame parsers")
struct StreamParserTests {
    static let ndjson = Data(
        "{\"status\":\"Pulling fs layer\",\"id\":\"a1\"}\n{\"status\":\"Downloading\",\"progressDetail\":{\"current\":10,\"total\":100}}\r\n\n{\"stream\":\"Step 1/2 : FROM scratch\\n\"}\n{\"status\":\"done\"}"
            .utf8)

    @Test("NDJSON records come out whole whatever the chunk size", arguments: [1, 2, 3, 7, 16, 64, 4096])
    func ndjsonChunks(_ size: Int) throws {
        var splitter = DockerEngine.NDJSONSplitter()
        var lines: [Data] = []
        for chunk in chunked(Self.ndjson, size: size) { lines += splitter.feed(chunk) }
        if let last = splitter.finish() { lines.append(last) }
        #expect(lines.count == 4)
        let decoded = try lines.map { try JSONDecoder().decode(DockerEngine.ProgressMessage.self, from: $0) }
        #expect(decoded[0].id == "a1")
        #expect(decoded[1].progressDetail?.total == 100)
        #expect(decoded[2].stream == "Step 1/2 : FROM scratch\n")
        #expect(decoded[3].status == "done")
    }

    @Test("every split point of an NDJSON stream gives the same records")
    func everySplitPoint() throws {
        for split in 1..<Self.ndjson.count {
            var splitter = DockerEngine.NDJSONSplitter()
            var lines = splitter.feed(Self.ndjson.prefix(split))
            lines += splitter.feed(Self.ndjson.dropFirst(split))
            if let last = splitter.finish() { lines.append(last) }
            #expect(lines.count == 4, "split at \(split)")
        }
    }

    static func frame(_ source: UInt8, _ text: String) -> Data {
        let payload = Data(text.utf8)
        let size = UInt32(payload.count).bigEndian
        var data = Data([source, 0, 0, 0])
        withUnsafeBytes(of: size) { data.append(contentsOf: $0) }
        return data + payload
    }

    static let multiplexed = frame(1, "hello stdout\n") + frame(2, "oops on stderr\n") + frame(1, "") + frame(1, String(repeating: "x", count: 300) + "\n")

    @Test("log frames demultiplex at every split point")
    func logFramesEverySplit() throws {
        for split in 0...Self.multiplexed.count {
            var parser = DockerEngine.LogFrameParser()
            var frames = try parser.feed(Self.multiplexed.prefix(split))
            frames += try parser.feed(Self.multiplexed.dropFirst(split))
            #expect(frames.count == 4, "split at \(split)")
            #expect(frames.first?.source == .stdout)
            #expect(frames.first?.text == "hello stdout\n")
            #expect(frames[1].source == .stderr && frames[1].text == "oops on stderr\n")
            #expect(frames[3].payload.count == 301)
            #expect(parser.leftover == 0)
        }
    }

    @Test("log frames fed one byte at a time come out whole", arguments: [1, 5, 9])
    func logFramesSmallChunks(_ size: Int) throws {
        var parser = DockerEngine.LogFrameParser()
        var frames: [DockerEngine.LogFrame] = []
        for chunk in chunked(Self.multiplexed, size: size) { frames += try parser.feed(chunk) }
        #expect(frames.map(\.source) == [.stdout, .stderr, .stdout, .stdout])
    }

    @Test("a truncated frame is left over, not returned")
    func truncated() throws {
        var parser = DockerEngine.LogFrameParser()
        let frames = try parser.feed(Self.frame(1, "complete") + Self.frame(2, "cut off").prefix(10))
        #expect(frames.count == 1)
        #expect(parser.leftover == 10)
    }

    @Test("a header with an unknown stream byte is a .stream error")
    func malformed() {
        var parser = DockerEngine.LogFrameParser()
        #expect(throws: DockerEngine.Error.self) { try parser.feed(Data("plain text output, not framed".utf8)) }
    }
}
