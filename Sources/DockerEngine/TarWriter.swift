import Foundation
import HTTPTransport

#if canImport(Glibc)
    import Glibc
#endif

extension DockerEngine {
    /// Writes ustar archives in memory (small contexts, tests); `TarStream` writes the same bytes
    /// for a directory piece by piece, as they are sent (the build context of `POST /build`).
    ///
    /// Regular files, directories and symbolic links; names up to 255 bytes (split into the
    /// ustar prefix and name fields at a slash); sizes up to 8 GiB. Entries get a fixed mtime so
    /// the same inputs give the same bytes (and the engine's build cache can match).
    public struct TarWriter: Sendable {
        public enum Error: Swift.Error, Sendable, CustomStringConvertible {
            case nameTooLong(String)
            case unreadable(path: String, reason: String)
            case notRelative(String)
            /// A file's size changed between planning the archive and sending it.
            case changed(path: String)

            public var description: String {
                switch self {
                case .nameTooLong(let name):
                    "cannot put \"\(name)\" in a build context: the path is longer than the tar format allows (255 bytes, with a slash within the last 100)"
                case .unreadable(let path, let reason): "cannot read \(path) for the build context: \(reason)"
                case .notRelative(let name): "build context entry \"\(name)\" must be a relative path without '..'"
                case .changed(let path): "\(path) changed size while the build context was being sent; run the build again once it is written"
                }
            }
        }

        public private(set) var data = Data()
        private var finished = false
        /// Modification time stored in every header (seconds since 1970).
        public var modificationTime: Int

        public init(modificationTime: Int = 0) {
            self.modificationTime = modificationTime
        }

        /// Adds a regular file, owned by `uid`:`gid` (kept by the engine with `copyUIDGID`).
        public mutating func addFile(_ name: String, contents: Data, mode: Int = 0o644, uid: Int = 0, gid: Int = 0) throws(Error) {
            try appendHeader(name: name, size: contents.count, mode: mode, type: "0", uid: uid, gid: gid)
            data.append(contents)
            pad()
        }

        public mutating func addFile(_ name: String, text: String, mode: Int = 0o644) throws(Error) {
            try addFile(name, contents: Data(text.utf8), mode: mode)
        }

        /// Adds a directory entry (parent directories need not be added explicitly).
        public mutating func addDirectory(_ name: String, mode: Int = 0o755) throws(Error) {
            let directoryName = name.hasSuffix("/") ? name : name + "/"
            try appendHeader(name: directoryName, size: 0, mode: mode, type: "5")
        }

        /// Adds a symbolic link `name -> target`.
        public mutating func addSymlink(_ name: String, target: String) throws(Error) {
            try appendHeader(name: name, size: 0, mode: 0o777, type: "2", linkName: target)
        }

        /// Adds the contents of a directory on disk under `prefix` (recursively, in sorted order),
        /// keeping file modes and symbolic links. `exclude` gets each relative path.
        public mutating func addContents(ofDirectory directory: URL, prefix: String = "", exclude: (String) -> Bool = { _ in false }) throws(Error) {
            for entry in try Self.entries(ofDirectory: directory, prefix: prefix, exclude: exclude) {
                switch entry.kind {
                case .directory: try addDirectory(entry.name, mode: entry.mode)
                case .symlink(let target): try addSymlink(entry.name, target: target)
                case .file(let path, _):
                    guard let contents = FileManager.default.contents(atPath: path) else {
                        throw .unreadable(path: path, reason: "permission denied or not a regular file")
                    }
                    try addFile(entry.name, contents: contents, mode: entry.mode)
                }
            }
        }

        /// One entry of a directory on disk, as `addContents` and `TarStream` archive it.
        struct Entry: Sendable {
            enum Kind: Sendable {
                case directory
                case symlink(target: String)
                case file(path: String, size: Int)
            }
            var name: String
            var mode: Int
            var kind: Kind
        }

        /// The entries under `directory` (recursively, in sorted order) with their modes; regular
        /// files are checked readable now, so an unreadable one fails before anything is sent.
        static func entries(ofDirectory directory: URL, prefix: String, exclude: (String) -> Bool) throws(Error) -> [Entry] {
            let fileManager = FileManager.default
            let relatives: [String]
            do {
                relatives = try fileManager.subpathsOfDirectory(atPath: directory.path).sorted()
            } catch {
                throw .unreadable(path: directory.path, reason: "\(error.localizedDescription)")
            }
            var out: [Entry] = []
            for relative in relatives where !exclude(relative) {
                let fullPath = directory.appendingPathComponent(relative).path
                let name = prefix.isEmpty ? relative : prefix + "/" + relative
                let attributes: [FileAttributeKey: Any]
                do {
                    attributes = try fileManager.attributesOfItem(atPath: fullPath)
                } catch {
                    throw .unreadable(path: fullPath, reason: "\(error.localizedDescription)")
                }
                let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o644
                switch attributes[.type] as? FileAttributeType {
                case .typeDirectory?:
                    out.append(Entry(name: name.hasSuffix("/") ? name : name + "/", mode: mode, kind: .directory))
                case .typeSymbolicLink?:
                    let target: String
                    do { target = try fileManager.destinationOfSymbolicLink(atPath: fullPath) } catch {
                        throw .unreadable(path: fullPath, reason: "\(error.localizedDescription)")
                    }
                    out.append(Entry(name: name, mode: 0o777, kind: .symlink(target: target)))
                case .typeRegular?:
                    guard access(fullPath, R_OK) == 0 else {
                        throw .unreadable(path: fullPath, reason: "permission denied or not a regular file")
                    }
                    let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
                    out.append(Entry(name: name, mode: mode, kind: .file(path: fullPath, size: size)))
                default:
                    continue  // sockets, fifos, devices do not belong in a build context
                }
            }
            return out
        }

        /// The archive with its two zero end blocks.
        public mutating func finish() -> Data {
            if !finished {
                data.append(Data(count: 1024))
                finished = true
            }
            return data
        }

        // MARK: - ustar headers

        private mutating func appendHeader(
            name: String, size: Int, mode: Int, type: Character, linkName: String = "", uid: Int = 0, gid: Int = 0
        ) throws(Error) {
            precondition(!finished, "TarWriter: entry added after finish()")
            data.append(
                contentsOf: try Self.header(
                    name: name, size: size, mode: mode, type: type, linkName: linkName, modificationTime: modificationTime,
                    uid: uid, gid: gid))
        }

        /// One 512-byte ustar header.
        static func header(
            name: String, size: Int, mode: Int, type: Character, linkName: String = "", modificationTime: Int,
            uid: Int = 0, gid: Int = 0
        ) throws(Error) -> [UInt8] {
            guard !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else { throw .notRelative(name) }
            let (prefix, shortName) = try Self.split(name)
            var header = [UInt8](repeating: 0, count: 512)
            func put(_ string: String, at offset: Int, length: Int) {
                let bytes = Array(string.utf8.prefix(length))
                header.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
            }
            func putOctal(_ value: Int, at offset: Int, length: Int) {
                // length-1 octal digits, zero padded, then NUL.
                let digits = String(value, radix: 8)
                put(String(repeating: "0", count: max(0, length - 1 - digits.count)) + digits, at: offset, length: length - 1)
            }
            put(shortName, at: 0, length: 100)
            putOctal(mode & 0o7777, at: 100, length: 8)
            putOctal(uid, at: 108, length: 8)
            putOctal(gid, at: 116, length: 8)
            putOctal(size, at: 124, length: 12)
            putOctal(modificationTime, at: 136, length: 12)
            put("        ", at: 148, length: 8)  // checksum placeholder: spaces
            header[156] = type.asciiValue ?? UInt8(ascii: "0")
            put(linkName, at: 157, length: 100)
            put("ustar", at: 257, length: 6)  // "ustar\0"
            put("00", at: 263, length: 2)
            if uid == 0 { put("root", at: 265, length: 32) }  // user and group names only for root: the numbers are what counts
            if gid == 0 { put("root", at: 297, length: 32) }
            put(prefix, at: 345, length: 155)
            let checksum = header.reduce(0) { $0 + Int($1) }
            let digits = String(checksum, radix: 8)
            put(String(repeating: "0", count: max(0, 6 - digits.count)) + digits, at: 148, length: 6)
            header[154] = 0
            header[155] = UInt8(ascii: " ")
            return header
        }

        private mutating func pad() {
            data.append(Data(count: Self.padding(data.count)))
        }

        /// Zero bytes that bring `size` to a whole number of 512-byte blocks.
        static func padding(_ size: Int) -> Int { (512 - size % 512) % 512 }

        /// Splits a long name into ustar's prefix (155) and name (100) at a slash.
        static func split(_ name: String) throws(Error) -> (prefix: String, name: String) {
            let bytes = Array(name.utf8)
            if bytes.count <= 100 { return ("", name) }
            guard bytes.count <= 256 else { throw .nameTooLong(name) }
            // The last slash such that the prefix fits in 155 and the rest in 100.
            for index in stride(from: min(bytes.count - 1, 155), through: 1, by: -1) where bytes[index] == UInt8(ascii: "/") {
                let rest = bytes.count - index - 1
                if rest <= 100 && rest > 0 {
                    return (String(decoding: bytes[..<index], as: UTF8.self), String(decoding: bytes[(index + 1)...], as: UTF8.self))
                }
            }
            throw .nameTooLong(name)
        }
    }
}

extension DockerEngine {
    /// The ustar archive of a directory on disk, produced while it is read: the entries (names,
    /// modes, sizes, symlink targets) are planned up front, so the length is known and bad entries
    /// fail before anything is sent; file contents are read only as the bytes are sent, so a
    /// context of any size costs a few buffers of memory. The bytes equal `TarWriter`'s for the
    /// same directory.
    public struct TarStream: Sendable {
        let headers: [[UInt8]]
        let entries: [TarWriter.Entry]
        /// Total bytes of the archive, end blocks included.
        public let length: Int64

        /// Plans the archive of `directory` (as `TarWriter.addContents(ofDirectory:)` writes it).
        public init(directory: URL, prefix: String = "", modificationTime: Int = 0, exclude: (String) -> Bool = { _ in false }) throws(TarWriter.Error) {
            entries = try TarWriter.entries(ofDirectory: directory, prefix: prefix, exclude: exclude)
            var headers: [[UInt8]] = []
            var length: Int64 = 1024
            for entry in entries {
                switch entry.kind {
                case .directory:
                    headers.append(try TarWriter.header(name: entry.name, size: 0, mode: entry.mode, type: "5", modificationTime: modificationTime))
                case .symlink(let target):
                    headers.append(
                        try TarWriter.header(name: entry.name, size: 0, mode: entry.mode, type: "2", linkName: target, modificationTime: modificationTime))
                case .file(_, let size):
                    headers.append(try TarWriter.header(name: entry.name, size: size, mode: entry.mode, type: "0", modificationTime: modificationTime))
                    length += Int64(size + TarWriter.padding(size))
                }
                length += 512
            }
            self.headers = headers
            self.length = length
        }

        /// A fresh reader of the archive's bytes.
        public func makeReader() -> Reader { Reader(self) }

        /// The archive as a request body of known length.
        public var body: HTTPBodyStream {
            let archive = self
            return HTTPBodyStream(length: length) { archive.makeReader() }
        }

        /// Reads the archive front to back; one reader per transfer, used by one thread at a time.
        public final class Reader: HTTPBodyReader {
            private let archive: TarStream
            private var index = 0
            /// Bytes of the current piece not yet handed out: header, contents, padding, end blocks.
            private var pending: [UInt8] = []
            private var pendingOffset = 0
            private var file: Int32 = -1
            private var fileLeft = 0
            private var filePath = ""
            private var zerosLeft = 0
            private var ended = false

            init(_ archive: TarStream) { self.archive = archive }

            deinit { if file >= 0 { close(file) } }

            public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
                var written = 0
                while written < buffer.count {
                    if pendingOffset < pending.count {
                        let n = min(pending.count - pendingOffset, buffer.count - written)
                        pending.withUnsafeBytes { source in
                            buffer.baseAddress!.advanced(by: written).copyMemory(from: source.baseAddress!.advanced(by: pendingOffset), byteCount: n)
                        }
                        pendingOffset += n
                        written += n
                    } else if fileLeft > 0 {
                        let want = min(fileLeft, buffer.count - written)
                        let n = Glibc.read(file, buffer.baseAddress!.advanced(by: written), want)
                        if n < 0 {
                            if errno == EINTR { continue }
                            throw TarWriter.Error.unreadable(path: filePath, reason: String(cString: strerror(errno)))
                        }
                        if n == 0 { throw TarWriter.Error.changed(path: filePath) }
                        fileLeft -= n
                        written += n
                        if fileLeft == 0 { try closeFile() }
                    } else if zerosLeft > 0 {
                        let n = min(zerosLeft, buffer.count - written)
                        buffer.baseAddress!.advanced(by: written).initializeMemory(as: UInt8.self, repeating: 0, count: n)
                        zerosLeft -= n
                        written += n
                    } else if index < archive.entries.count {
                        try open(index)
                        index += 1
                    } else if !ended {
                        ended = true
                        zerosLeft = 1024
                    } else {
                        break
                    }
                }
                return written
            }

            private func open(_ index: Int) throws(TarWriter.Error) {
                pending = archive.headers[index]
                pendingOffset = 0
                guard case .file(let path, let size) = archive.entries[index].kind else { return }
                filePath = path
                file = Glibc.open(path, O_RDONLY | O_CLOEXEC)
                guard file >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
                fileLeft = size
                zerosLeft = TarWriter.padding(size)
                if size == 0 { try closeFile() }
            }

            /// At the planned size: the file must not have grown meanwhile either.
            private func closeFile() throws(TarWriter.Error) {
                var probe: UInt8 = 0
                let more = Glibc.read(file, &probe, 1)
                close(file)
                file = -1
                if more > 0 { throw .changed(path: filePath) }
            }
        }
    }
}
