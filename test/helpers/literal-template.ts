import { createHash } from 'node:crypto';
import { type CfnTemplate, makeResolver, type Physical, type Pseudo } from '#local/template.ts';

/** The property that names each resource type that logvault names itself. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Events::Rule': 'Name',
};

/** What `Ref` and `Fn::GetAtt` give for a resource in AWS, from its type and physical name. */
function physicalOf(type: string, name: string, { accountId, region }: Pseudo): Physical {
  const arn = (service: string, resource: string, inRegion = true) =>
    `arn:aws:${service}:${inRegion ? region : ''}:${inRegion ? accountId : ''}:${resource}`;
  switch (type) {
    case 'AWS::S3::Bucket':
      return { ref: name, attrs: { Arn: `arn:aws:s3:::${name}` } };
    case 'AWS::SQS::Queue':
      return {
        ref: `https://sqs.${region}.amazonaws.com/${accountId}/${name}`,
        attrs: { Arn: arn('sqs', name), QueueName: name },
      };
    case 'AWS::DynamoDB::Table':
      return { ref: name, attrs: { Arn: arn('dynamodb', `table/${name}`) } };
    case 'AWS::KMS::Key': {
      // Key ids are UUIDs; derive a stable one from the name.
      const h = createHash('sha256').update(name).digest('hex');
      const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
      return { ref: id, attrs: { Arn: arn('kms', `key/${id}`), KeyId: id } };
    }
    case 'AWS::IAM::Role':
      return { ref: name, attrs: { Arn: `arn:aws:iam::${accountId}:role/${name}` } };
    case 'AWS::IAM::InstanceProfile':
      return { ref: name, attrs: { Arn: `arn:aws:iam::${accountId}:instance-profile/${name}` } };
    case 'AWS::Lambda::Function':
      return { ref: name, attrs: { Arn: arn('lambda', `function:${name}`) } };
    case 'AWS::Logs::LogGroup':
      return { ref: name, attrs: { Arn: arn('logs', `log-group:${name}:*`) } };
    case 'AWS::SNS::Topic':
      return { ref: arn('sns', name), attrs: { TopicArn: arn('sns', name) } };
    case 'AWS::Events::Rule':
      return { ref: name, attrs: { Arn: arn('events', `rule/${name}`) } };
    default:
      return { ref: name, attrs: {} };
  }
}

/**
 * The template with every intrinsic function replaced by the literal value it has once deployed
 * (names as the template gives them, ARNs in AWS's formats, parameters at their defaults), so that
 * checks which only read literal ARNs, such as cfn-lint's I3510, can see every statement.
 */
export async function literalTemplate(template: CfnTemplate, pseudo: Pseudo): Promise<CfnTemplate> {
  const created = new Map<string, Promise<Physical>>();
  const physical = (id: string): Promise<Physical> => {
    let p = created.get(id);
    if (!p) {
      p = (async () => {
        const resource = template.Resources[id];
        if (!resource) throw new Error(`template: no resource named ${id}`);
        const nameProperty = NAME_PROPERTY[resource.Type];
        const given = nameProperty ? resource.Properties?.[nameProperty] : undefined;
        // Unnamed resources get a generated name, lower case as S3 needs it.
        const name =
          given === undefined ? `${pseudo.stackName}-${id}`.toLowerCase() : String(await resolve(given));
        return physicalOf(resource.Type, name, pseudo);
      })();
      created.set(id, p);
    }
    return p;
  };
  const resolve = makeResolver(pseudo, physical, template);
  const resources: Record<string, CfnTemplate['Resources'][string]> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    // A resource whose condition is false is not in the deployed stack.
    if (resource.Condition && !(await resolve.condition(resource.Condition))) continue;
    const { Condition: _, ...rest } = resource;
    resources[id] = {
      ...rest,
      Properties: (await resolve(resource.Properties ?? {})) as Record<string, unknown>,
    };
  }
  return { Resources: resources };
}
