import LambentExecution
import Testing

@Suite("SeccompFilter")
struct SeccompFilterTests {
    let filter = SeccompFilter()
    static let allow: UInt32 = 0x7FFF_0000
    static let eperm: UInt32 = 0x0005_0001
    static let enosys: UInt32 = 0x0005_0026
    static let kill: UInt32 = 0x8000_0000

    @Test("every denied system call returns EPERM", arguments: SeccompFilter.deniedX86_64.map(\.number))
    func denied(_ number: UInt32) {
        #expect(filter.evaluate(number: number) == Self.eperm)
    }

    @Test("ordinary system calls are allowed", arguments: [
        0, 1, 2, 3, 9, 10, 11, 13, 14, 39, 41, 42, 43, 49, 50, 59, 60, 61, 62, 202, 231, 232, 257, 281, 290, 318, 334, 435 - 1,
    ] as [UInt32])
    func allowed(_ number: UInt32) {
        #expect(filter.evaluate(number: number) == Self.allow)
    }

    @Test("clone3 answers ENOSYS so that libc falls back to clone")
    func clone3() {
        #expect(filter.evaluate(number: 435) == Self.enosys)
    }

    @Test("clone with a namespace flag is refused; threads and forks are not")
    func cloneFlags() {
        let threadFlags: UInt64 = 0x3D0F00
        #expect(filter.evaluate(number: 56, arguments: [threadFlags]) == Self.allow)
        #expect(filter.evaluate(number: 56, arguments: [17]) == Self.allow)  // fork: SIGCHLD
        for flag: UInt64 in [0x0002_0000, 0x0200_0000, 0x0400_0000, 0x0800_0000, 0x1000_0000, 0x2000_0000, 0x4000_0000] {
            #expect(filter.evaluate(number: 56, arguments: [flag | 17]) == Self.eperm)
        }
    }

    @Test("TIOCSTI and TIOCLINUX are refused; other ioctls are not")
    func terminalInjection() {
        #expect(filter.evaluate(number: 16, arguments: [0, 0x5412]) == Self.eperm)
        #expect(filter.evaluate(number: 16, arguments: [0, 0x541C]) == Self.eperm)
        #expect(filter.evaluate(number: 16, arguments: [0, 0x5401]) == Self.allow)  // TCGETS
    }

    @Test("another architecture is killed; the x32 ABI is refused")
    func architecture() {
        #expect(filter.evaluate(arch: 0x4000_0003, number: 1) == Self.kill)  // i386
        #expect(filter.evaluate(number: 0x4000_0001) == Self.eperm)
    }

    @Test("the program is 8 bytes per instruction, as the kernel reads it")
    func encoding() {
        #expect(filter.bytes.count == filter.instructions.count * 8)
        #expect(filter.instructions.count < 4096)
        // First instruction: load the arch word (BPF_LD|BPF_W|BPF_ABS, k = 4).
        #expect(Array(filter.bytes.prefix(8)) == [0x20, 0x00, 0, 0, 4, 0, 0, 0])
    }
}
