import Foundation

extension DockerEngine {
    /// One piece of container output.
    public struct LogFrame: Sendable, Hashable {
        public enum Source: UInt8, Sendable, Hashable, Codable {
            case stdin = 0, stdout = 1, stderr = 2
        }

        public var source: Source
        public var payload: Data

        public init(source: Source, payload: Data) {
            self.source = source
            self.payload = payload
        }

        public var text: String { String(decoding: payload, as: UTF8.self) }
    }

    /// Demultiplexes the engine's attach/logs stream for containers without a TTY: each frame is
    /// an 8-byte header `[stream, 0, 0, 0, size(4, big endian)]` followed by `size` bytes.
    /// Headers and payloads may be split across chunks anywhere.
    public struct LogFrameParser: Sendable {
        private var buffer = Data()

        public init() {}

        /// Appends a chunk and returns every frame it completed.
        public mutating func feed(_ chunk: Data) throws(DockerEngine.Error) -> [LogFrame] {
            buffer.append(chunk)
            var frames: [LogFrame] = []
            var offset = buffer.startIndex
            while buffer.endIndex - offset >= 8 {
                let streamByte = buffer[offset]
                guard let source = LogFrame.Source(rawValue: streamByte) else {
                    throw .stream(message: "malformed log stream: frame header starts with byte \(streamByte), expected 0, 1 or 2")
                }
                let size = buffer[(offset + 4)..<(offset + 8)].reduce(0) { ($0 << 8) | Int($1) }
                guard buffer.endIndex - offset - 8 >= size else { break }
                let start = offset + 8
                frames.append(LogFrame(source: source, payload: Data(buffer[start..<(start + size)])))
                offset = start + size
            }
            buffer = Data(buffer[offset...])
            return frames
        }

        /// Bytes of an unfinished frame left when the stream ended (a truncated stream).
        public var leftover: Int { buffer.count }
    }

    /// Container output as it arrives: demultiplexed frames, or raw chunks (reported as stdout)
    /// when the container has a TTY.
    public struct LogStream: AsyncSequence, Sendable {
        public typealias Element = LogFrame
        let body: AsyncThrowingStream<Data, any Swift.Error>
        let multiplexed: Bool
        let endpoint: String

        public func makeAsyncIterator() -> Iterator {
            Iterator(chunks: body.makeAsyncIterator(), multiplexed: multiplexed, endpoint: endpoint)
        }

        public struct Iterator: AsyncIteratorProtocol {
            var chunks: AsyncThrowingStream<Data, any Swift.Error>.AsyncIterator
            let multiplexed: Bool
            let endpoint: String
            var parser = LogFrameParser()
            var pending: [LogFrame] = []

            public mutating func next() async throws -> LogFrame? {
                while pending.isEmpty {
                    let chunk: Data?
                    do {
                        chunk = try await chunks.next()
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        throw DockerEngine.Error.transport(endpoint: endpoint, underlying: error)
                    }
                    guard let chunk else { return nil }
                    if multiplexed {
                        pending = try parser.feed(chunk)
                    } else if !chunk.isEmpty {
                        pending = [LogFrame(source: .stdout, payload: chunk)]
                    }
                }
                return pending.removeFirst()
            }
        }

        /// Reads to the end; returns stdout and stderr separately (raw streams put all in stdout).
        public func collect() async throws -> (stdout: Data, stderr: Data) {
            var out = Data(), err = Data()
            for try await frame in self {
                switch frame.source {
                case .stdout, .stdin: out.append(frame.payload)
                case .stderr: err.append(frame.payload)
                }
            }
            return (out, err)
        }
    }
}
