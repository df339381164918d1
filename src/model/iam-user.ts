/** An IAM user: who may own access keys and policies (IAM database authentication). */
export interface IamUserRecord {
  userName: string;
  /** `AIDA` + 17 upper-case base32 characters, as IAM. */
  userId: string;
  /** `arn:aws:iam::<account>:user/<name>`; also the `principal` of the user's access keys. */
  arn: string;
  createdAt: Date;
}
