import Foundation

extension DockerEngine {
    /// Writes ustar archives in memory: the build context of `POST /build`.
    ///
    /// Regular files, directories and symbolic links; names up to 255 bytes (split into the
    /// ustar prefix and name fields at a slash); sizes up to 8 GiB. Entries get a fixed mtime so
    /// the same inputs give the same bytes (and the engine's build cache can match).
    public struct TarWriter: Sendable {
        public enum Error: Swift.Error, Sendable, CustomStringConvertible {
            case nameTooLong(String)
            case unreadable(path: String, reason: String)
            case notRelative(String)

            public var description: String {
                switch self {
                case .nameTooLong(let name): "cannot put \"\(name)\" in a build context: the path is longer than the tar format allows (255 bytes, with a slash within the last 100)"
                case .unreadable(let path, let reason): "cannot read \(path) for the build context: \(reason)"
                case .notRelative(let name): "build context entry \"\(name)\" must be a relative path without '..'"
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

        /// Adds a regular file.
        public mutating func addFile(_ name: String, contents: Data, mode: Int = 0o644) throws(Error) {
            try appendHeader(name: name, size: contents.count, mode: mode, type: "0")
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
            let fileManager = FileManager.default
            let entries: [String]
            do {
                entries = try fileManager.subpathsOfDirectory(atPath: directory.path).sorted()
            } catch {
                throw .unreadable(path: directory.path, reason: "\(error.localizedDescription)")
            }
            for relative in entries where !exclude(relative) {
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
                    try addDirectory(name, mode: mode)
                case .typeSymbolicLink?:
                    let target: String
                    do { target = try fileManager.destinationOfSymbolicLink(atPath: fullPath) } catch {
                        throw .unreadable(path: fullPath, reason: "\(error.localizedDescription)")
                    }
                    try addSymlink(name, target: target)
                case .typeRegular?:
                    guard let contents = fileManager.contents(atPath: fullPath) else {
                        throw .unreadable(path: fullPath, reason: "permission denied or not a regular file")
                    }
                    try addFile(name, contents: contents, mode: mode)
                default:
                    continue // sockets, fifos, devices do not belong in a build context
                }
            }
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

        private mutating func appendHeader(name: String, size: Int, mode: Int, type: Character, linkName: String = "") throws(Error) {
            precondition(!finished, "TarWriter: entry added after finish()")
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
            putOctal(0, at: 108, length: 8) // uid
            putOctal(0, at: 116, length: 8) // gid
            putOctal(size, at: 124, length: 12)
            putOctal(modificationTime, at: 136, length: 12)
            put("        ", at: 148, length: 8) // checksum placeholder: spaces
            header[156] = type.asciiValue ?? UInt8(ascii: "0")
            put(linkName, at: 157, length: 100)
            put("ustar", at: 257, length: 6) // "ustar\0"
            put("00", at: 263, length: 2)
            put("root", at: 265, length: 32)
            put("root", at: 297, length: 32)
            put(prefix, at: 345, length: 155)
            let checksum = header.reduce(0) { $0 + Int($1) }
            let digits = String(checksum, radix: 8)
            put(String(repeating: "0", count: max(0, 6 - digits.count)) + digits, at: 148, length: 6)
            header[154] = 0
            header[155] = UInt8(ascii: " ")
            data.append(contentsOf: header)
        }

        private mutating func pad() {
            let remainder = data.count % 512
            if remainder != 0 { data.append(Data(count: 512 - remainder)) }
        }

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
