/**
 * The OCSF 1.1.0 classes the Intercom mapping uses, with their activity captions and the
 * versions every exported event carries (see `typeMapping.ts` for which type maps where).
 */
export const OCSF_SCHEMA_VERSION = '1.1.0';
/** Bump on any change to the table or to the event shape. */
export const OCSF_MAPPING_VERSION = 'intercom-ocsf-mapping/v1';

export type OcsfClassName = 'authentication' | 'account_change' | 'entity_management' | 'user_access' | 'web_resources_activity';

export interface OcsfClassInfo {
  readonly uid: number;
  readonly categoryUid: number;
  readonly caption: string;
  readonly categoryName: string;
  /** OCSF profiles the events of this class use (named in metadata.profiles). */
  readonly profiles: readonly string[];
  /** Activity captions by id, as the class defines them (plus 0 Unknown, 99 Other). */
  readonly activities: Readonly<Record<number, string>>;
}

export const OCSF_CLASSES: Readonly<Record<OcsfClassName, OcsfClassInfo>> = {
  account_change: {
    uid: 3001,
    categoryUid: 3,
    caption: 'Account Change',
    categoryName: 'Identity & Access Management',
    profiles: [],
    activities: {
      0: 'Unknown',
      1: 'Create',
      2: 'Enable',
      3: 'Password Change',
      4: 'Password Reset',
      5: 'Disable',
      6: 'Delete',
      10: 'MFA Factor Enable',
      11: 'MFA Factor Disable',
      99: 'Other',
    },
  },
  authentication: {
    uid: 3002,
    categoryUid: 3,
    caption: 'Authentication',
    categoryName: 'Identity & Access Management',
    profiles: [],
    activities: { 0: 'Unknown', 1: 'Logon', 2: 'Logoff', 99: 'Other' },
  },
  // actor is a Host-profile attribute in these three classes (the class does not define it itself).
  entity_management: {
    uid: 3004,
    categoryUid: 3,
    caption: 'Entity Management',
    categoryName: 'Identity & Access Management',
    profiles: ['host'],
    activities: { 0: 'Unknown', 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete', 99: 'Other' },
  },
  user_access: {
    uid: 3005,
    categoryUid: 3,
    caption: 'User Access Management',
    categoryName: 'Identity & Access Management',
    profiles: ['host'],
    activities: { 0: 'Unknown', 1: 'Assign Privileges', 2: 'Revoke Privileges', 99: 'Other' },
  },
  web_resources_activity: {
    uid: 6001,
    categoryUid: 6,
    caption: 'Web Resources Activity',
    categoryName: 'Application Activity',
    profiles: ['host'],
    activities: {
      0: 'Unknown',
      1: 'Create',
      2: 'Read',
      3: 'Update',
      4: 'Delete',
      5: 'Search',
      6: 'Import',
      7: 'Export',
      8: 'Share',
      99: 'Other',
    },
  },
};

/** Security Lake source name per class (custom source names are at most 20 characters). */
export const DEFAULT_SOURCE_NAMES: Readonly<Record<OcsfClassName, string>> = {
  authentication: 'intercom_auth',
  account_change: 'intercom_account',
  entity_management: 'intercom_entity',
  user_access: 'intercom_access',
  web_resources_activity: 'intercom_webres',
};

export function classNameOf(classUid: number): OcsfClassName {
  const found = (Object.keys(OCSF_CLASSES) as OcsfClassName[]).find((name) => OCSF_CLASSES[name].uid === classUid);
  if (!found) throw new Error(`class_uid ${classUid} is not one the mapping produces`);
  return found;
}
