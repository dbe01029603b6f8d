import Foundation
import TestSupport
import Testing

@testable import DockerEngine

@Suite("DockerEngine.TarWriter")
struct TarWriterTests {
    /// Lists an archive with GNU tar, the independent reader.
    func list(_ archive: Data) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-tar-\(UUID().uuidString).tar")
        try archive.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let tar = try Subprocess.run("/bin/tar", ["-tvf", file.path])
        #expect(tar.status == 0, "tar: \(tar.output)")
        return tar.output
    }

    @Test("GNU tar reads files, directories, symlinks, modes and long names back")
    func roundTrip() throws {
        var writer = DockerEngine.TarWriter()
        try writer.addFile("Dockerfile", text: "FROM scratch\nCOPY busybox /bin/busybox\n")
        try writer.addDirectory("bin")
        try writer.addFile("bin/tool", contents: Data(repeating: 7, count: 1000), mode: 0o755)
        try writer.addSymlink("bin/sh", target: "busybox")
        let longName = String(repeating: "d", count: 90) + "/" + String(repeating: "e", count: 60) + "/file.txt"
        try writer.addFile(longName, text: "deep")
        let archive = writer.finish()
        #expect(archive.count % 512 == 0)
        let listing = try list(archive)
        #expect(listing.contains("Dockerfile"))
        #expect(listing.contains("-rwxr-xr-x root/root      1000") && listing.contains("bin/tool"))
        #expect(listing.contains("bin/sh -> busybox"))
        #expect(listing.contains(longName))
    }

    @Test(
        "absolute paths, '..' and over-long names are refused",
        arguments: ["/etc/passwd", "../outside", "a/../../b", String(repeating: "n", count: 101), String(repeating: "a/", count: 130)])
    func refused(_ name: String) {
        var writer = DockerEngine.TarWriter()
        #expect(throws: DockerEngine.TarWriter.Error.self) { try writer.addFile(name, text: "x") }
    }

    @Test("the same entries give the same bytes")
    func deterministic() throws {
        func make() throws -> Data {
            var writer = DockerEngine.TarWriter()
            try writer.addFile("a", text: "1")
            return writer.finish()
        }
        #expect(try make() == make())
    }

    @Test("a directory on disk is archived recursively with its modes")
    func directoryOnDisk() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-tarctx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("sub"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("FROM scratch\n".utf8).write(to: directory.appendingPathComponent("Dockerfile"))
        try Data("#!/bin/sh\n".utf8).write(to: directory.appendingPathComponent("sub/run.sh"))
        try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: directory.appendingPathComponent("sub/run.sh").path)
        var writer = DockerEngine.TarWriter()
        try writer.addContents(ofDirectory: directory)
        let listing = try list(writer.finish())
        #expect(listing.contains("Dockerfile"))
        #expect(listing.contains("-rwxr-x--- root/root") && listing.contains("sub/run.sh"))
    }

    /// A context with a nested directory, an empty file, a symlink, a long name and odd sizes.
    func makeContext() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-tarstream-\(UUID().uuidString)")
        let deep = String(repeating: "d", count: 90) + "/" + String(repeating: "e", count: 60)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent(deep), withIntermediateDirectories: true)
        try Data("FROM scratch\n".utf8).write(to: directory.appendingPathComponent("Dockerfile"))
        try Data().write(to: directory.appendingPathComponent("empty"))
        try Data((0..<70_001).map { UInt8($0 % 253) }).write(to: directory.appendingPathComponent("\(deep)/blob.bin"))
        try Data(repeating: 1, count: 512).write(to: directory.appendingPathComponent("exact"))
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("link").path, withDestinationPath: "exact")
        return directory
    }

    func readAll(_ stream: DockerEngine.TarStream, step: Int) throws -> Data {
        let reader = stream.makeReader()
        var out = Data()
        var buffer = [UInt8](repeating: 0, count: step)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    @Test(
        "TarStream reads the same bytes as TarWriter for a directory, whatever the read size, and knows its length", arguments: [1, 511, 4096, 65536, 1 << 20])
    func streamMatchesWriter(step: Int) throws {
        let directory = try makeContext()
        defer { try? FileManager.default.removeItem(at: directory) }
        var writer = DockerEngine.TarWriter()
        try writer.addContents(ofDirectory: directory)
        let expected = writer.finish()
        let stream = try DockerEngine.TarStream(directory: directory)
        #expect(stream.length == Int64(expected.count))
        #expect(try readAll(stream, step: step) == expected)
        // A second reader starts over.
        #expect(try readAll(stream, step: step) == expected)
    }

    @Test("TarStream honours the exclusion, as TarWriter does")
    func streamExcludes() throws {
        let directory = try makeContext()
        defer { try? FileManager.default.removeItem(at: directory) }
        let exclude: (String) -> Bool = { $0 == "exact" || $0.hasPrefix("ddd") }
        var writer = DockerEngine.TarWriter()
        try writer.addContents(ofDirectory: directory, exclude: exclude)
        let stream = try DockerEngine.TarStream(directory: directory, exclude: exclude)
        let bytes = try readAll(stream, step: 4096)
        #expect(bytes == writer.finish())
        #expect(!(try list(bytes)).contains("blob.bin"))
    }

    struct ChangeCase: Sendable, CustomStringConvertible {
        var description: String
        var newSize: Int
    }

    @Test(
        "a file whose size changes after the archive was planned fails the read, naming it",
        arguments: [
            ChangeCase(description: "shrunk", newSize: 10),
            ChangeCase(description: "grown", newSize: 1000),
        ])
    func fileChanged(_ c: ChangeCase) throws {
        let directory = try makeContext()
        defer { try? FileManager.default.removeItem(at: directory) }
        let stream = try DockerEngine.TarStream(directory: directory)
        try Data(repeating: 2, count: c.newSize).write(to: directory.appendingPathComponent("exact"))
        let error = #expect(throws: DockerEngine.TarWriter.Error.self) { _ = try readAll(stream, step: 4096) }
        guard case .changed(let path)? = error else { Issue.record("expected .changed, got \(String(describing: error))"); return }
        #expect(path.hasSuffix("/exact"))
    }
}
