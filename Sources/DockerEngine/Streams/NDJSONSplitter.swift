import Foundation

extension DockerEngine {
    /// Splits a byte stream into newline-delimited records (the engine's progress, build, events
    /// and stats streams), whatever the chunk boundaries. Blank lines and `\r` are dropped.
    public struct NDJSONSplitter: Sendable {
        private var buffer = Data()

        public init() {}

        /// Appends a chunk and returns every line it completed.
        public mutating func feed(_ chunk: Data) -> [Data] {
            buffer.append(chunk)
            var lines: [Data] = []
            var start = buffer.startIndex
            while let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                if let line = Self.trimmed(buffer[start..<newline]) { lines.append(line) }
                start = buffer.index(after: newline)
            }
            buffer = Data(buffer[start...])
            return lines
        }

        /// The last record when the stream ended without a newline.
        public mutating func finish() -> Data? {
            defer { buffer = Data() }
            return Self.trimmed(buffer[...])
        }

        private static func trimmed(_ slice: Data) -> Data? {
            var line = slice
            while let last = line.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: " ") { line = line.dropLast() }
            while let first = line.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\r") { line = line.dropFirst() }
            return line.isEmpty ? nil : Data(line)
        }
    }

    /// A stream of JSON records decoded as they arrive. `check` runs on each record and may throw
    /// (pull and build use it to turn `errorDetail` into `.stream`). Cancelling the consuming task
    /// ends the underlying transfer.
    public struct JSONStream<Element: Decodable & Sendable>: AsyncSequence, Sendable {
        let body: AsyncThrowingStream<Data, any Swift.Error>
        let endpoint: String
        let check: @Sendable (Element) throws(DockerEngine.Error) -> Void

        init(
            body: AsyncThrowingStream<Data, any Swift.Error>, endpoint: String,
            check: @escaping @Sendable (Element) throws(DockerEngine.Error) -> Void = { _ in }
        ) {
            self.body = body
            self.endpoint = endpoint
            self.check = check
        }

        public func makeAsyncIterator() -> Iterator {
            Iterator(chunks: body.makeAsyncIterator(), endpoint: endpoint, check: check)
        }

        public struct Iterator: AsyncIteratorProtocol {
            var chunks: AsyncThrowingStream<Data, any Swift.Error>.AsyncIterator
            let endpoint: String
            let check: @Sendable (Element) throws(DockerEngine.Error) -> Void
            var splitter = NDJSONSplitter()
            var pending: [Data] = []
            var finished = false

            public mutating func next() async throws -> Element? {
                while true {
                    if !pending.isEmpty {
                        let line = pending.removeFirst()
                        let element: Element
                        do {
                            element = try JSONDecoder().decode(Element.self, from: line)
                        } catch {
                            throw DockerEngine.Error.decoding(
                                "a stream record: \(DockerEngine.Client.describe(error))", body: String(decoding: line.prefix(2048), as: UTF8.self))
                        }
                        try check(element)
                        return element
                    }
                    if finished { return nil }
                    let chunk: Data?
                    do {
                        chunk = try await chunks.next()
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        throw DockerEngine.Error.transport(endpoint: endpoint, underlying: error)
                    }
                    if let chunk {
                        pending = splitter.feed(chunk)
                    } else {
                        finished = true
                        if let last = splitter.finish() { pending = [last] }
                    }
                }
            }
        }

        /// Reads the stream to its end and returns every record.
        public func collect() async throws -> [Element] {
            var all: [Element] = []
            for try await element in self { all.append(element) }
            return all
        }
    }
}
