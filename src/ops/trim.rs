//! Gives back the memory start-up used and the idle daemon does not.
//!
//! Start-up runs code the daemon never runs again: the command line, the
//! TOML parser and the config's validation, the migrations, the catch-up
//! pass. The kernel maps each page of the program's code on first use (and
//! its neighbours, by fault-around) and keeps it counted as resident for as
//! long as the process lives: of an idle daemon's ~18 MB resident, ~15 MB
//! were its own code, most of it touched once. Once the catch-up pass is
//! done, [`after_start_up`] drops those mappings; what the daemon runs from
//! then on (ticks, the courier, the bot) is mapped again as it runs, from
//! the page cache, without reading the disk. The program's constants are
//! dropped the same way; its writable data never is. And glibc's allocator
//! returns the free memory at the top of its heaps.

/// Drops the resident mappings of the program's own code and read-only
/// data, and trims the allocator's free memory; returns the bytes of code and
/// constants whose mappings were dropped. Linux only; elsewhere it does
/// nothing.
pub fn after_start_up() -> usize {
    let mut dropped = 0;
    #[cfg(target_os = "linux")]
    for (start, end) in read_only_ranges(&own_segments(), page_size()) {
        // SAFETY: `start..end` lies inside a loadable segment of the program
        // file that is not writable (code, constants): the loader maps it
        // from the file and never writes it (relocated data, RELRO included,
        // lives in the writable segment, which is never passed here), so the
        // process holds no private copy of its pages. MADV_DONTNEED drops
        // the page-table entries only; the next access faults the same bytes
        // back in from the file, which the kernel keeps from being written
        // while the program runs (ETXTBSY).
        let done = unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
        if done == 0 {
            dropped += end - start;
        }
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system; it is
    // thread-safe and takes no pointer.
    unsafe {
        libc::malloc_trim(0);
    }
    dropped
}

/// A loadable segment of the program as it is mapped: its address range
/// and whether it is writable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    start: usize,
    end: usize,
    writable: bool,
}

/// The whole pages of the segments that are not writable: the start
/// rounded up, the end down, so a page shared with a writable segment is
/// never included.
fn read_only_ranges(segments: &[Segment], page: usize) -> Vec<(usize, usize)> {
    if page == 0 || !page.is_power_of_two() {
        return Vec::new();
    }
    segments
        .iter()
        .filter(|s| !s.writable)
        .filter_map(|s| {
            let start = s.start.checked_add(page - 1)? & !(page - 1);
            let end = s.end & !(page - 1);
            (end > start).then_some((start, end))
        })
        .collect()
}

#[cfg(target_os = "linux")]
fn page_size() -> usize {
    // SAFETY: sysconf reads a constant of the system.
    usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(0)
}

/// The program's loadable segments, from its program headers as the kernel
/// placed them (the auxiliary vector's AT_PHDR and AT_PHNUM).
#[cfg(target_os = "linux")]
fn own_segments() -> Vec<Segment> {
    // SAFETY: getauxval reads the auxiliary vector the kernel gave the
    // process; 0 when an entry is missing.
    let (phdr, phnum) = unsafe { (libc::getauxval(libc::AT_PHDR), libc::getauxval(libc::AT_PHNUM)) };
    if phdr == 0 || phnum == 0 || phnum > 256 {
        return Vec::new();
    }
    // SAFETY: AT_PHDR points at the program's AT_PHNUM program headers,
    // mapped read-only for the life of the process.
    let headers = unsafe { std::slice::from_raw_parts(phdr as *const libc::Elf64_Phdr, phnum as usize) };
    // The load bias: where PT_PHDR says the headers are, against where they are.
    let Some(bias) = headers
        .iter()
        .find(|h| h.p_type == libc::PT_PHDR)
        .and_then(|h| (phdr as usize).checked_sub(h.p_vaddr as usize))
    else {
        return Vec::new();
    };
    headers
        .iter()
        .filter(|h| h.p_type == libc::PT_LOAD && h.p_memsz > 0)
        .filter_map(|h| {
            let start = bias.checked_add(h.p_vaddr as usize)?;
            Some(Segment {
                start,
                end: start.checked_add(h.p_memsz as usize)?,
                writable: h.p_flags & libc::PF_W != 0,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_pages_of_segments_that_are_not_writable_are_dropped() {
        let seg = |start, end, writable| Segment { start, end, writable };
        let segments = [
            // Constants, then code, then data (RELRO and the rest): as a linker lays them.
            seg(0x1000, 0x5800, false),
            seg(0x6000, 0x9100, false),
            seg(0x9100, 0xc000, true),
        ];
        assert_eq!(
            read_only_ranges(&segments, 0x1000),
            // The code's last page is shared with the data: kept.
            vec![(0x1000, 0x5000), (0x6000, 0x9000)]
        );
        assert!(read_only_ranges(&[seg(0x1800, 0x1fff, false)], 0x1000).is_empty());
        assert!(read_only_ranges(&segments, 0).is_empty());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_programs_own_segments_are_found_with_code_and_writable_data() {
        let segments = own_segments();
        let here = own_segments as *const () as usize;
        assert!(
            segments.iter().any(|s| !s.writable && s.start <= here && here < s.end),
            "the code of this function lies in a segment that is not writable: {segments:x?}"
        );
        assert!(segments.iter().any(|s| s.writable), "{segments:x?}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_code_is_given_back_and_runs_on_after_its_mappings_are_dropped() {
        // This test binary's own code and constants: dropped, then run again.
        let before: u64 = (1..=1000u64).map(|n| n * n % 7).sum();
        let dropped = after_start_up();
        let after: u64 = (1..=1000u64).map(|n| n * n % 7).sum();
        assert_eq!(before, after);
        // At least the code of this very function was given back.
        let code = own_segments()
            .into_iter()
            .find(|s| !s.writable && (s.start..s.end).contains(&(own_segments as *const () as usize)))
            .expect("the code's segment");
        assert!(dropped >= (code.end - code.start) / 2, "{dropped} bytes dropped");
    }
}
