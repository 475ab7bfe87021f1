import Foundation
import LambentExecution
import Testing

@Suite("Syscalls")
struct SyscallsTests {
    @Test("reads a /proc file past 4 KB to its end")
    func readsWholeKernelFiles() throws {
        // A test process maps dozens of libraries: its maps file is well over 4 KB, and ends
        // with the vsyscall or stack lines.
        let maps = try #require(Syscalls.readKernelFile("/proc/self/maps"))
        #expect(maps.utf8.count > 4096)
        #expect(maps.hasSuffix("\n"))
        #expect(maps.contains("[stack]"))
    }

    @Test("answers nil for a file that cannot be opened")
    func missingFile() {
        #expect(Syscalls.readKernelFile("/proc/self/no-such-file") == nil)
    }
}
