/** Sextant's mark: an arc with an index arm, like the instrument's frame. */
export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg className="logo" width={size} height={size} viewBox="0 0 32 32" aria-hidden="true">
      <rect width="32" height="32" rx="8" fill="var(--accent)" />
      <path d="M8 24 A16 16 0 0 1 24 8" stroke="white" strokeWidth="2.5" fill="none" strokeLinecap="round" />
      <path d="M8 24 L22 12" stroke="white" strokeWidth="2.5" strokeLinecap="round" />
      <circle cx="8" cy="24" r="2.5" fill="white" />
    </svg>
  );
}
