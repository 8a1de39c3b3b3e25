import { ensurePackaged } from '#local/package.ts';
import { type CfnTemplate, readTemplate } from '#local/template.ts';
import { type StackModel, stackModel } from './stack-model.ts';

/** The stage whose packaged template the tests load (and the IAM check evaluates). */
export const IAM_STAGE = 'local';

/** The packaged template of the local stage (packaged now unless it is newer than its sources). */
export async function packagedTemplate(): Promise<CfnTemplate> {
  return readTemplate(await ensurePackaged(IAM_STAGE));
}

export async function packagedModel(template?: CfnTemplate): Promise<StackModel> {
  return stackModel(template ?? (await packagedTemplate()), IAM_STAGE);
}
