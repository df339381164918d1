import { daysLeft, expiryClass, formatDate } from '../util.ts';

/** Days left until `validTill`, coloured at 90/30/7 days and said in words too. */
export function ExpiryBadge({ validTill }: { validTill: string | undefined }) {
  const days = daysLeft(validTill);
  if (days === undefined) return <span class="muted">unknown</span>;
  return (
    <span class={`badge ${expiryClass(days)}`} title={formatDate(validTill)}>
      {days < 0 ? `expired ${-days} days ago` : `${days} days left`}
    </span>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge ${status === 'available' ? 'status-available' : 'status-other'}`}>{status}</span>;
}

/** An error (role=alert) or information (role=status) line; nothing when both are empty. */
export function Message({ error, info }: { error?: string | undefined; info?: string | undefined }) {
  return (
    <>
      {error && (
        <p class="message error" role="alert">
          {error}
        </p>
      )}
      {info && (
        <p class="message info" role="status">
          {info}
        </p>
      )}
    </>
  );
}
