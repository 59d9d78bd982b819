import type { Customer } from "../../contract/customer";
import type { CustomerFields } from "../../domain/customer";
import { paymentDetailsOf as detailsOfFields } from "../../domain/customer";
import type { CustomerPaymentDetails, VersionedPaymentDetails } from "../subscription/context";
import type { CustomerContext } from "./context";

// What a card attempt charges, as the customer holds it: the copy each subscription keeps
// (payment-push.ts sends it after every change).

/** The customer as the domain's decisions see it (src/domain/customer.ts). */
export function fieldsOf(customer: Customer): CustomerFields {
  return {
    email: customer.email,
    name: customer.name,
    paymentMethod: customer.payment_method,
    metadata: customer.metadata,
  };
}

export function paymentDetailsOf(customer: Customer): CustomerPaymentDetails {
  return detailsOfFields(fieldsOf(customer));
}

/** The payment details as of now, with the version they belong to. */
export function versionedPaymentDetails(ctx: CustomerContext, customer: Customer): VersionedPaymentDetails {
  return { ...paymentDetailsOf(customer), version: ctx.version() };
}
