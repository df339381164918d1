import { AppError } from '../../errors/app-error.js';
import { defineAction } from './action.js';

/** RemoveTagsFromResource: ResourceName (an ARN), TagKeys.member.N. No output shape. */
export const removeTagsFromResourceAction = defineAction('RemoveTagsFromResource', async ({ control, params }) => {
  const tagKeys = params.stringList('TagKeys', 'member');
  if (!tagKeys) throw new AppError('MissingParameter', 'The request must contain the parameter TagKeys');
  await control.removeTagsFromResource({ resourceName: params.requiredString('ResourceName'), tagKeys });
  return null;
});
