/** A DB security group (RDS's EC2-Classic-era allow-list, reused as tlsql's network allow-list). */
export interface DbSecurityGroup {
  name: string;
  description: string;
  ownerId: string;
  arn: string;
  /** Inbound CIDR rules; always `authorized` (effective at once for new connections). */
  ipRanges: { cidrIp: string; status: 'authorized' }[];
}

/** A DB security group as stored: a named set of CIDR rules shared by instances. */
export interface DbSecurityGroupRecord {
  name: string;
  description: string;
  createdAt: Date;
  /** Canonical CIDRs (`10.0.0.0/8`, `2001:db8::/32`), in the order they were authorized. */
  cidrs: string[];
}
