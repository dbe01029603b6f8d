import Testing

@testable import Doctor

/// Doctor writes sizes with the same formatter as `stackpilot stats` (docker stats' style).
@Suite("Doctor: sizes read as in stats")
struct ByteWordingTests {
    @Test("disk space is written as docker stats writes memory: 1.5GiB, 23.54GiB")
    func diskSpace() {
        let space = DiskSpace(total: 25_276_510_208, available: 3 << 29)
        #expect(space.availableDescription == "1.5GiB")
        #expect(space.totalDescription == "23.54GiB")
        #expect(space.percentAvailableDescription == "6.4 %")
    }
}
